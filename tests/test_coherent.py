"""The coherent refinement of seed 000: its losses against NumPy re-derivations (values and
gradients), the stop-gradient that keeps the base network out of them, and the colorizer."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from keras import ops  # noqa: E402

from chroma_lab.color import AB_SCALE, in_gamut, rgb_to_lab  # noqa: E402
from chroma_lab import losses  # noqa: E402
from chroma_lab.losses import (GRADIENT_EDGES, CoherentLoss, coherence_loss, coherent_loss,  # noqa: E402
                               color_regularizer)
from chroma_lab.models import coherent  # noqa: E402
from chroma_lab.models.coherent import CoherentColorizer  # noqa: E402
from chroma_lab.quantize import N_BINS, ab_bins, rebalance_weights  # noqa: E402


# ----------------------------------------------------------------------------------------------
# NumPy re-derivations, written from the report's equations
# ----------------------------------------------------------------------------------------------
def np_coherence(true_ab, pred_ab):
    t, p = true_ab / AB_SCALE, pred_ab / AB_SCALE
    d = t - p
    dx = d[:, :-1, 1:] - d[:, :-1, :-1]
    dy = d[:, 1:, :-1] - d[:, :-1, :-1]
    eps = losses.COHERENCE_EPS
    return np.sqrt((dx**2).sum(-1) + (dy**2).sum(-1) + eps) - np.sqrt(eps)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_regularizer(base_logits, refined_logits, T):
    z = np_softmax(base_logits.astype(np.float64))
    sharp = np_softmax(refined_logits.astype(np.float64) / T)
    return 1.0 - (z * sharp).sum(-1) / z.max(-1)


def np_magnitude(ab):
    dx = ab[:, :-1, 1:] - ab[:, :-1, :-1]
    dy = ab[:, 1:, :-1] - ab[:, :-1, :-1]
    return np.sqrt((dx**2).sum(-1) + (dy**2).sum(-1))


def _grad(fn, x):
    x = tf.Variable(np.asarray(x, dtype=np.float32))
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(fn(x))
    return tape.gradient(value, x).numpy()


def _finite_difference(fn, x, index, h):
    x = np.asarray(x, dtype=np.float64)
    up, down = x.copy(), x.copy()
    up[index] += h
    down[index] -= h
    return (fn(up).sum() - fn(down).sum()) / (2 * h)


@pytest.fixture
def ab_pair():
    rng = np.random.default_rng(0)
    return rng.uniform(-60, 60, (2, 6, 5, 2)), rng.uniform(-60, 60, (2, 6, 5, 2))


# ----------------------------------------------------------------------------------------------
# L_C
# ----------------------------------------------------------------------------------------------
def test_coherence_loss_matches_numpy(ab_pair):
    true_ab, pred_ab = ab_pair
    got = ops.convert_to_numpy(coherence_loss(true_ab, pred_ab))
    assert got.shape == (2, 5, 4)
    np.testing.assert_allclose(got, np_coherence(true_ab, pred_ab), rtol=1e-4, atol=1e-6)


def test_coherence_loss_ignores_which_colour_and_sees_edges():
    flat = np.zeros((1, 4, 4, 2))
    shifted = flat + np.array([40.0, -20.0])  # another colour, the same (absent) edges
    assert np.allclose(ops.convert_to_numpy(coherence_loss(flat, shifted)), 0, atol=1e-6)
    edge = flat.copy()
    edge[:, :, 2:, 0] = 55.0  # one vertical colour edge of 55 ab units in a
    lc = ops.convert_to_numpy(coherence_loss(edge, flat))
    assert np.allclose(lc[0, :, 1], 55.0 / AB_SCALE, atol=2e-4)  # the pixel left of the edge
    assert np.allclose(np.delete(lc[0], 1, axis=1), 0, atol=1e-6)


def test_coherence_loss_gradients_are_finite_and_match_finite_differences(ab_pair):
    true_ab, pred_ab = ab_pair
    grad = _grad(lambda p: coherence_loss(true_ab, p), pred_ab)
    assert np.all(np.isfinite(grad))
    for index in [(0, 0, 0, 0), (1, 3, 2, 1), (0, 5, 4, 0)]:
        want = _finite_difference(lambda p: np_coherence(true_ab, p), pred_ab, index, 1e-3)
        assert grad[index] == pytest.approx(want, rel=2e-2, abs=1e-5)
    # where prediction and truth agree the square root's argument is eps: still a finite gradient
    same = _grad(lambda p: coherence_loss(true_ab, p), true_ab)
    assert np.all(np.isfinite(same)) and np.allclose(same, 0, atol=1e-3)


# ----------------------------------------------------------------------------------------------
# L_R
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("T", [0.01, 0.38, 1.0])
def test_color_regularizer_matches_numpy(T):
    rng = np.random.default_rng(1)
    base, refined = rng.normal(0, 3, (2, 3, 4, N_BINS)), rng.normal(0, 3, (2, 3, 4, N_BINS))
    got = ops.convert_to_numpy(color_regularizer(base, refined, T))
    np.testing.assert_allclose(got, np_regularizer(base, refined, T), rtol=1e-4, atol=1e-5)
    assert np.all((got >= -1e-6) & (got <= 1 + 1e-6))


def test_color_regularizer_is_zero_at_the_base_mode_and_near_one_off_it():
    base = np.full((1, N_BINS), -5.0)
    base[0, 100] = 5.0
    at_mode = np.zeros((1, N_BINS))
    at_mode[0, 100] = 3.0
    elsewhere = np.zeros((1, N_BINS))
    elsewhere[0, 7] = 3.0
    assert float(color_regularizer(base, at_mode)[0]) == pytest.approx(0.0, abs=1e-5)
    assert float(color_regularizer(base, elsewhere)[0]) == pytest.approx(1.0, abs=1e-3)


def test_color_regularizer_gradients_are_finite_and_match_finite_differences():
    rng = np.random.default_rng(2)
    base, refined = rng.normal(0, 1, (1, 2, 2, N_BINS)), rng.normal(0, 1, (1, 2, 2, N_BINS))
    assert np.all(np.isfinite(_grad(lambda r: color_regularizer(base, r, 0.01), refined * 100)))
    grad = _grad(lambda r: color_regularizer(base, r, 0.5), refined)
    for index in [(0, 0, 0, int(np.argmax(refined[0, 0, 0]))), (0, 1, 1, 5)]:
        want = _finite_difference(lambda r: np_regularizer(base, r, 0.5), refined, index, 1e-4)
        assert grad[index] == pytest.approx(want, rel=2e-2, abs=1e-5)


# ----------------------------------------------------------------------------------------------
# The two fixes and the whole objective
# ----------------------------------------------------------------------------------------------
def test_gradient_prior_and_weight_map_match_numpy(ab_pair):
    true_ab, _ = ab_pair
    true_ab = true_ab * np.linspace(0, 1, 5)[None, None, :, None]  # a range of magnitudes
    prior = losses.gradient_prior(true_ab)
    bins = np.digitize(np_magnitude(true_ab), GRADIENT_EDGES[1:])
    np.testing.assert_allclose(prior, np.bincount(bins.ravel(), minlength=len(GRADIENT_EDGES)) / bins.size)
    weights = rebalance_weights(prior, 0.5)
    got = ops.convert_to_numpy(losses.gradient_weight_map(true_ab, weights))
    np.testing.assert_allclose(got, weights[bins], rtol=1e-5)


def test_lightness_weights_follow_the_gamut():
    w = losses.lightness_weights()
    assert w.shape == (101,) and w.max() == 1.0
    L = np.array([5.0, 50.0, 97.0])
    share = np.array([in_gamut(np.column_stack([np.full(N_BINS, v), ab_bins()])).mean() for v in L])
    np.testing.assert_allclose(w[L.astype(int)], share / in_gamut(
        np.column_stack([np.full(N_BINS, float(np.argmax(w))), ab_bins()])).mean())
    assert w[5] < 0.3 and w[97] < 0.3 and w[50] > 0.8


@pytest.mark.parametrize("rebalance, lightness", [(False, False), (True, True)])
def test_coherent_loss_matches_numpy(rebalance, lightness):
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (2, 5, 6, 3)).astype(np.uint8)
    y_pred = rng.normal(0, 2, (2, 5, 6, 2 * N_BINS)).astype(np.float32)
    lab = rgb_to_lab(rgb)
    weights = rebalance_weights(losses.gradient_prior(lab[..., 1:]), 0.5) if rebalance else None
    got = ops.convert_to_numpy(coherent_loss(rgb, y_pred, 0.05, 0.7, weights, lightness))
    pred_ab = np_softmax(y_pred[..., :N_BINS].astype(np.float64) / 0.05) @ ab_bins()
    lc = np_coherence(lab[..., 1:], pred_ab)
    if rebalance:
        lc = lc * weights[np.digitize(np_magnitude(lab[..., 1:]), GRADIENT_EDGES[1:])]
    want = lc + 0.7 * np_regularizer(y_pred[..., N_BINS:], y_pred[..., :N_BINS], 0.05)[:, :-1, :-1]
    if lightness:
        want = want * losses.lightness_weights()[np.round(lab[:, :-1, :-1, 0]).astype(int)]
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-4)
    loss = CoherentLoss(0.05, 0.7, weights, lightness)
    assert float(loss(rgb, y_pred)) == pytest.approx(float(want.mean()), rel=2e-3)
    assert CoherentLoss.from_config(loss.get_config()).get_config() == loss.get_config()


# ----------------------------------------------------------------------------------------------
# The stop-gradient and the colorizer
# ----------------------------------------------------------------------------------------------
def test_the_new_losses_do_not_reach_the_base_network():
    from chroma_lab.models.zhang2016 import build as build_zhang

    base = build_zhang("small")
    assert base.trainable  # even a trainable base gets no gradient from L_C and L_R
    network = coherent.build(base, residual=False)
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (2, 16, 16, 3)).astype(np.uint8)
    l_norm = rgb_to_lab(rgb)[..., :1].astype(np.float32) / 100.0 - 0.5
    loss = CoherentLoss(gradient_bin_weights=np.ones(len(GRADIENT_EDGES)), lightness_weighting=True)
    with tf.GradientTape() as tape:
        value = loss(rgb, network(l_norm, training=True))
    grads = tape.gradient(value, base.trainable_variables + network.trainable_variables[-2:])
    base_grads, head_grads = grads[: len(base.trainable_variables)], grads[len(base.trainable_variables) :]
    assert all(g is None or not np.any(g.numpy()) for g in base_grads)
    assert all(g is not None and np.any(g.numpy()) for g in head_grads)  # the refinement learns


@pytest.fixture(scope="module")
def base_folder(tmp_path_factory):
    from chroma_lab.models.zhang2016 import ZhangColorizer
    from chroma_lab.scenes import synthetic_scenes

    images = synthetic_scenes(8, size=16, seed=0)[0]
    folder = tmp_path_factory.mktemp("zhang")
    # untrained (epochs=0: seeded initial weights, the prior of these images): what the coherent
    # model is tested for (the base loaded as saved, kept frozen, the refinement starting at its
    # mode) holds for any saved base, and tracing a training step would cost seconds
    ZhangColorizer(image_size=16, epochs=0, batch_size=8, verbose=0).fit(images).save(folder)
    return folder, images


@pytest.mark.slow  # a Zhang base and two coherent fits, ~13 s
def test_fit_leaves_the_base_network_as_loaded_and_starts_at_its_mode(base_folder, tmp_path):
    from chroma_lab.data import to_gray
    from chroma_lab.models.registry import load_colorizer
    from chroma_lab.models.zhang2016 import ZhangColorizer

    folder, images = base_folder
    base = ZhangColorizer.load(folder)
    untrained = CoherentColorizer(base=str(folder), image_size=16, epochs=0, batch_size=8, verbose=0).fit(images)
    # residual, zero-initialised head: before training the refined mode is the upsampled base mode
    out = ops.convert_to_numpy(untrained._forward(rgb_to_lab(images[:2])[..., 0]))
    assert np.array_equal(np.argmax(out[..., :N_BINS], -1), np.argmax(out[..., N_BINS:], -1))

    model = CoherentColorizer(base=str(folder), image_size=16, epochs=2, batch_size=4, verbose=0).fit(images)
    inner = next(la for la in model.network_.layers if isinstance(la, keras.Model))
    for before, after in zip(base.network_.weights, inner.weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(before), ops.convert_to_numpy(after))
    head = model.network_.get_layer("refine_313").get_weights()[0]
    assert np.any(head)  # ... while the refinement did train
    model.save(tmp_path / "coherent")
    again = load_colorizer(tmp_path / "coherent")
    assert isinstance(again, CoherentColorizer) and again.epochs_done_ == 2
    gray = to_gray(images[:3])
    np.testing.assert_array_equal(again.colorize(gray), model.colorize(gray))
    np.testing.assert_allclose(again.gradient_prior_, model.gradient_prior_)


def _edge_aware_reference(logits, L, radius, step, sigma_space, sigma_lightness):
    """NumPy joint bilateral filter: mirrored borders, weights by distance and lightness difference."""
    n, H, W, _ = logits.shape
    r = radius
    lp = np.pad(logits, ((0, 0), (r, r), (r, r), (0, 0)), mode="symmetric")
    Lp = np.pad(L, ((0, 0), (r, r), (r, r)), mode="symmetric")
    total, weight = np.zeros(logits.shape), np.zeros(L.shape)
    for dy in range(-r, r + 1, step):
        for dx in range(-r, r + 1, step):
            q = Lp[:, r + dy : r + dy + H, r + dx : r + dx + W]
            w = np.exp(-((L - q) ** 2) / (2 * sigma_lightness**2) - (dy * dy + dx * dx) / (2 * sigma_space**2))
            total += w[..., None] * lp[:, r + dy : r + dy + H, r + dx : r + dx + W]
            weight += w
    return total / weight[..., None]


def test_edge_aware_smoothing_matches_numpy_and_keeps_colour_edges_on_lightness_edges():
    rng = np.random.default_rng(0)
    L = rng.uniform(20, 80, (2, 9, 11))
    logits = rng.normal(size=(2, 9, 11, 5))
    layer = coherent.EdgeAwareSmoothing(radius=3, step=1, sigma_space=2.0, sigma_lightness=5.0)
    got = ops.convert_to_numpy(layer([logits.astype("float32"), ((L - 50) / 100)[..., None].astype("float32")]))
    np.testing.assert_allclose(got, _edge_aware_reference(logits, L, 3, 1, 2.0, 5.0), rtol=1e-4, atol=1e-5)
    # a dark left half and a light right half whose logits were blurred across the boundary:
    # filtered, every pixel takes its own half's logits, as if the blur had not happened
    L = np.where(np.arange(12) < 6, 30.0, 70.0)[None, None, :].repeat(12, 1)
    blurred = np.clip((np.arange(12) - 3.5) / 5, 0, 1)[None, None, :, None].repeat(12, 1)
    logits = np.concatenate([1 - blurred, blurred], -1) * 10
    layer = coherent.EdgeAwareSmoothing(radius=6, step=1, sigma_space=100.0, sigma_lightness=5.0)
    mode = ops.convert_to_numpy(layer([logits.astype("float32"), ((L - 50) / 100)[..., None].astype("float32")]))
    assert np.array_equal(mode.argmax(-1)[0], (L[0] > 50).astype(int))
    assert not np.array_equal(logits.argmax(-1)[0], (L[0] > 50).astype(int))  # the blur had moved the edge
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer)).get_config() == \
        layer.get_config()


def test_the_edge_aware_vote_takes_each_surfaces_majority_mode_and_keeps_its_colours():
    # two surfaces (dark left, light right); the base's mode is bin 0 on the left and bin 1 on
    # the right, with a few flipped pixels inside each, and the blur has moved the edge
    rng = np.random.default_rng(1)
    L = np.where(np.arange(12) < 6, 30.0, 70.0)[None, None, :].repeat(12, 1)
    mode = (np.arange(12) >= 4).astype(int)[None, None, :].repeat(12, 1)
    flips = rng.random(mode.shape) < 0.1
    mode = np.where(flips, 1 - mode, mode)
    logits = np.eye(3)[mode] * 4.0 + rng.normal(0, 0.1, (1, 12, 12, 3))
    logits[..., 2] += 3.5  # bin 2, never anyone's mode, is second almost everywhere
    assert np.array_equal(logits.argmax(-1), mode)
    inputs = [logits.astype("float32"), ((L - 50) / 100)[..., None].astype("float32")]
    voted = coherent.EdgeAwareSmoothing(radius=6, step=1, sigma_space=100.0, sigma_lightness=5.0, vote=True)
    out = ops.convert_to_numpy(voted(inputs))
    assert np.array_equal(out.argmax(-1)[0], (L[0] > 50).astype(int))  # one mode per surface, on its edge
    # the vote shares are the filter applied to the one-hot modes, as the NumPy reference computes
    shares = _edge_aware_reference(np.eye(3)[mode], L, 6, 1, 100.0, 5.0)
    np.testing.assert_allclose(np.exp(out) - coherent.VOTE_FLOOR, shares, atol=1e-5)
    # averaged logits can tip to bin 2, a colour no pixel had as its mode; the vote cannot
    assert np.isin(out.argmax(-1), mode).all()
    twice = coherent.EdgeAwareSmoothing(radius=6, step=1, sigma_space=100.0, sigma_lightness=5.0, vote=True,
                                        passes=2)  # fmt: skip
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(twice)).get_config() == \
        twice.get_config()


def test_an_edge_aware_refinement_starts_at_the_smoothed_mode_and_saves(base_folder, tmp_path):
    from chroma_lab.data import to_gray
    from chroma_lab.models.registry import load_colorizer

    folder, images = base_folder
    model = CoherentColorizer(base=str(folder), image_size=16, epochs=0, batch_size=8, edge_aware=True,
                              verbose=0).fit(images)  # fmt: skip
    out = ops.convert_to_numpy(model._forward(rgb_to_lab(images[:2])[..., 0]))
    assert np.array_equal(np.argmax(out[..., :N_BINS], -1), np.argmax(out[..., N_BINS:], -1))
    assert "edge_aware_313" in [layer.name for layer in model.network_.layers]
    model.save(tmp_path / "coherent")
    gray = to_gray(images[:3])
    np.testing.assert_array_equal(load_colorizer(tmp_path / "coherent").colorize(gray), model.colorize(gray))


@pytest.mark.parametrize("params, match", [
    ({"base": 3}, "base must be the folder"),
    ({"edge_aware": 1}, "edge_aware must be True or False or .vote."),
    ({"edge_aware": "votes"}, "edge_aware must be True or False or .vote."),
    ({"residual": "yes"}, "residual must be True or False"),
    ({"loss_temperature": 0}, "loss_temperature"),
    ({"image_size": 20}, "multiple of 8"),
])  # fmt: skip
def test_bad_parameters_are_refused_by_name(params, match):
    with pytest.raises((TypeError, ValueError), match=match):
        CoherentColorizer(**params).validate_params()


def test_a_base_folder_that_holds_no_zhang_model_is_refused(tmp_path):
    from chroma_lab.models.registry import ModelFolderError

    images = np.zeros((2, 16, 16, 3), dtype=np.uint8)
    with pytest.raises(ModelFolderError, match="holds no"):
        CoherentColorizer(base=str(tmp_path), image_size=16, epochs=0).fit(images)


@pytest.mark.slow
def test_train_coherent_cli_with_base_resume_and_colorize(base_folder, tmp_path, capsys):
    from PIL import Image

    from chroma_lab import cli

    folder, images = base_folder
    out = tmp_path / "run"
    argv = ["train", "coherent", "--base", str(folder), "--data", "scenes", "--n-scenes", "8",
            "--image-size", "16", "--batch-size", "8", "--out", str(out)]  # fmt: skip
    assert cli.main([*argv, "--epochs", "1"]) == 0
    assert cli.main(["train", "coherent", "--out", str(out), "--resume", "--epochs", "2"]) == 0
    assert "resuming" in capsys.readouterr().out
    photo = tmp_path / "in.png"
    Image.fromarray(images[0]).save(photo)
    assert cli.main(["colorize", str(photo), "--model", str(out), "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "in.png").is_file()
    assert cli.main(["train", "zhang", "--base", str(folder), "--out", str(tmp_path / "z")]) == 1
    assert "--base is not an option of zhang" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# Lesson 7's checkers: PASS for the references, FAIL (never raise) for typical mistakes
# ----------------------------------------------------------------------------------------------
def test_lesson07_checkers_pass_right_answers_and_fail_wrong_ones(capsys):
    from chroma_lab import checks

    def rebalancing(ab, edges, lam=0.5):
        prior = losses.gradient_prior(ab)
        return prior, rebalance_weights(prior, lam)

    assert checks.check_gradient_loss(checks.gradient_loss_reference)
    assert checks.check_color_regularizer(checks.regularizer_reference)
    assert checks.check_gradient_rebalancing(rebalancing)
    assert not checks.check_gradient_loss(lambda t, p: checks.gradient_loss_reference(t, p) ** 2)
    assert "squared distance" in capsys.readouterr().out.splitlines()[-1]
    assert not checks.check_gradient_loss(lambda t, p: checks.gradient_loss_reference(t * 110, p * 110))
    assert not checks.check_color_regularizer(lambda z, r, T=0.01: checks.regularizer_reference(z, r, 1.0))
    assert not checks.check_gradient_rebalancing(lambda ab, edges, lam=0.5: rebalancing(ab, edges, 0.5))

    def unsolved(*args, **kwargs):
        raise NotImplementedError

    assert not checks.check_gradient_loss(unsolved)
    assert "not implemented yet" in capsys.readouterr().out.splitlines()[-1]


def test_the_refinements_losses_live_in_losses_with_its_imports_at_the_top():
    # issue 21: one home per idea (every training objective in chroma_lab.losses), no import
    # appended mid-file
    import ast
    import inspect

    assert coherent.CoherentLoss is losses.CoherentLoss and coherent.coherence_loss is losses.coherence_loss
    for name in ("coherence_loss", "color_regularizer", "coherent_loss", "gradient_prior", "lightness_weights"):
        assert getattr(losses, name).__module__ == "chroma_lab.losses", name
    body = ast.parse(inspect.getsource(losses)).body
    first_definition = next(i for i, node in enumerate(body) if isinstance(node, (ast.FunctionDef, ast.ClassDef)))
    late = [node.lineno for node in body[first_definition:] if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not late, f"imports after the first definition at lines {late}"
