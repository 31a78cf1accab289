"""Every exercise checker passes the library's function, fails a typical wrong answer and an unsolved
stub, prints one PASS/FAIL line, and never raises."""

from __future__ import annotations

import numpy as np
import pytest

from chroma_lab import checks, color, quantize
from chroma_lab.data import extract_patches


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise: replace this line with your solution")


# --- reference solutions, written as a student would (library calls where that is the point) --
def fit_palette(pixels, n_colors, random_state):
    from sklearn.cluster import KMeans

    return KMeans(n_colors, n_init=4, random_state=random_state).fit(pixels).cluster_centers_


def encode(pixels, palette):
    return ((pixels[..., None, :] - palette) ** 2).sum(-1).argmin(-1)


def decode(indices, palette):
    return palette[indices]


def lookup_table(gray, classes, n_classes):
    counts = np.zeros((256, n_classes), int)
    np.add.at(counts, (gray.ravel(), classes.ravel()), 1)
    seen = np.flatnonzero(counts.sum(1))
    nearest = seen[np.abs(np.arange(256)[:, None] - seen).argmin(1)]
    return counts.argmax(1)[nearest]


def train_mlp(X, y, hidden_layer_sizes, random_state):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes, max_iter=300, random_state=random_state).fit(X, y)


def index_losses(true_class, predicted_class, n_classes, confidence):
    return abs(true_class - predicted_class), -np.log((1 - confidence) / (n_classes - 1))


# --- deliberately wrong answers: the typical mistake each checker's hint is about --------------
def constant_mlp(X, y, hidden_layer_sizes, random_state):
    from sklearn.dummy import DummyClassifier

    return DummyClassifier().fit(X, y)


CASES = {
    # checker: (library/reference function, wrong function)
    "srgb_to_linear": (checks.check_srgb_to_linear, color.srgb_to_linear, lambda c: np.asarray(c) ** 2.2),
    "rgb_to_xyz": (checks.check_rgb_to_xyz, color.rgb_to_xyz, lambda rgb: rgb @ color.XYZ_FROM_RGB.T),
    "xyz_to_lab": (checks.check_xyz_to_lab, color.xyz_to_lab,
                   lambda xyz: color.xyz_to_lab(xyz * color.D65_WHITE)),
    "palette_fit": (checks.check_palette_fit, fit_palette, lambda px, n, rs: px[:n]),
    "encode": (checks.check_encode, encode, lambda px, pal: ((px[..., None, :] - pal) ** 2).sum(-1).argmax(-1)),
    "decode": (checks.check_decode, decode, lambda idx, pal: pal[::-1][idx]),
    "lookup": (checks.check_lookup_colorizer, lookup_table,
               lambda g, c, n: np.bincount(c.ravel(), minlength=n).argmax().repeat(256)),
    "extract_patches": (checks.check_extract_patches, extract_patches,
                        lambda g, p: extract_patches(g, p, pad_mode="edge")),
    "som_classes": (checks.check_som_classes, encode, lambda ab, w: np.zeros(ab.shape[:-1], int)),
    "patch_mlp": (checks.check_patch_mlp, train_mlp, constant_mlp),
    "onehot": (checks.check_onehot, lambda y, n: np.eye(n)[y], lambda y, n: np.eye(n)[np.minimum(y + 1, n - 1)]),
    "crossentropy": (checks.check_crossentropy, checks.crossentropy_reference,
                     lambda p, t: float(np.mean(-t * np.log(p)))),
    "index_losses": (checks.check_index_losses, index_losses, lambda t, p, n, c: (abs(t - p), -np.log(c))),
    "soft_encode": (checks.check_soft_encode, quantize.soft_encode,
                    lambda ab, k=5, sigma=5.0: quantize.soft_encode(ab, k, 2 * sigma)),
    "rebalance_weights": (checks.check_rebalance_weights, quantize.rebalance_weights,
                          lambda p, lam=0.5: 1.0 / ((1 - lam) * p + lam / p.size)),
    "annealed_mean": (checks.check_annealed_mean, quantize.annealed_mean,
                      lambda probs, T=0.38: quantize.annealed_mean(probs, 1.0)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_checker_passes_reference(name, capsys):
    checker, right, _ = CASES[name]
    assert checker(right) is True
    out = capsys.readouterr().out
    assert out.startswith("PASS: ") and out.count("\n") == 1, out


@pytest.mark.parametrize("name", sorted(CASES))
def test_checker_fails_wrong_answer_with_hint(name, capsys):
    checker, _, wrong = CASES[name]
    assert checker(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("FAIL: ") and " Hint: " in out and out.count("\n") == 1, out


@pytest.mark.parametrize("name", sorted(CASES))
def test_checker_reports_unsolved_stub_without_a_hint(name, capsys):
    # Run All on an untouched notebook must not show the answers before the student has tried
    checker, _, _ = CASES[name]
    assert checker(stub) is False
    out = capsys.readouterr().out
    assert out.startswith("FAIL: not implemented yet") and "Hint" not in out and out.count("\n") == 1, out


@pytest.mark.parametrize("method", color.GRAY_METHODS)
def test_check_gray(method, capsys):
    assert checks.check_gray(lambda rgb: color.rgb_to_gray(rgb, method), method) is True
    # float 0..255 without rounding is as good as the library's uint8
    assert checks.check_gray(lambda rgb: color.rgb_to_gray(rgb / 255.0, method) * 255.0, method) is True
    assert checks.check_gray(stub, method) is False
    other = "rec601" if method != "rec601" else "report"
    assert checks.check_gray(lambda rgb: color.rgb_to_gray(rgb, other), method) is False
    out = capsys.readouterr().out.splitlines()
    assert [line[:5] for line in out] == ["PASS:", "PASS:", "FAIL:", "FAIL:"]


def test_check_gray_explains_the_report_typo(capsys):
    typo = lambda rgb: rgb @ np.array([0.21, 0.72, 0.007])  # noqa: E731
    assert checks.check_gray(typo, "report") is False
    out = capsys.readouterr().out
    assert "white is no longer white" in out and "sum to 1" in out


def test_check_gray_bad_method_fails_without_raising(capsys):
    assert checks.check_gray(color.rgb_to_gray, "luma") is False
    assert "'cie', 'rec601', 'report'" in capsys.readouterr().out


def test_specific_hints(capsys):
    checks.check_srgb_to_linear(lambda c: np.asarray(c) ** 2.2)
    checks.check_rgb_to_xyz(lambda rgb: rgb @ color.XYZ_FROM_RGB.T)
    checks.check_extract_patches(lambda g, p: extract_patches(g, p, pad_mode="edge"))
    out = capsys.readouterr().out
    assert "power 2.2" in out and "skipped the sRGB decoding" in out and "border" in out


def test_checker_reports_other_exceptions_and_junk(capsys):
    def broken(c):
        raise IndexError("index 3 is out of bounds")

    assert checks.check_srgb_to_linear(broken) is False
    assert checks.check_onehot(lambda y, n: "not an array") is False
    assert checks.check_encode(lambda px, pal: None) is False
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(line.startswith("FAIL: ") for line in out)
    assert "IndexError: index 3 is out of bounds" in out[0]


def test_lookup_reference_matches_lookup_colorizer_rule():
    # hand-checkable: level 1 ties between classes 0 and 2 (lower wins); level 2 unseen copies
    # level 1 (darker on a tie with level 3); level 0 unseen copies level 1
    gray = np.array([1, 1, 3, 3, 3])
    classes = np.array([2, 0, 1, 1, 0])
    table = checks.lookup_table_reference(gray, classes, 3, levels=5)
    np.testing.assert_array_equal(table, [0, 0, 0, 1, 1])


def test_crossentropy_reference_hand_value():
    probs = np.array([[0.5, 0.25, 0.25]])
    assert checks.crossentropy_reference(probs, np.array([[0, 1, 0]])) == pytest.approx(np.log(4))


# ----------------------------------------------------------------------------------------------
# Lesson 5: the rebalanced loss (checked against NumPy and chroma_lab.losses)
# ----------------------------------------------------------------------------------------------
def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def rebalanced_loss(soft_targets, logits, weights):
    return float(np.mean(weights * -(soft_targets * _log_softmax(logits)).sum(-1)))


def test_rebalanced_loss_reference_hand_value():
    # two bins, equal logits: softmax (0.5, 0.5), so each pixel's cross-entropy is log 2
    z = np.array([[1.0, 0.0], [0.25, 0.75]])
    assert checks.rebalanced_crossentropy_reference(z, np.zeros((2, 2)), np.array([2.0, 0.0])) \
        == pytest.approx(np.log(2))
    # a shift of the logits changes nothing; a large one does not overflow
    logits = np.array([[1.0, 3.0], [0.0, -2.0]])
    want = np.mean([1.0 * -np.log(np.exp(1) / (np.exp(1) + np.exp(3))),
                    0.5 * -(0.25 * np.log(1 / (1 + np.exp(-2))) + 0.75 * np.log(np.exp(-2) / (1 + np.exp(-2))))])
    w = np.array([1.0, 0.5])
    assert checks.rebalanced_crossentropy_reference(z, logits, w) == pytest.approx(want)
    assert checks.rebalanced_crossentropy_reference(z, logits + 1e4, w) == pytest.approx(want)


def test_check_rebalanced_loss_passes_reference(capsys):
    assert checks.check_rebalanced_loss(rebalanced_loss) is True
    assert checks.check_rebalanced_loss(checks.rebalanced_crossentropy_reference) is True
    out = capsys.readouterr().out
    assert out.count("PASS: ") == 2 and "chroma_lab.losses.rebalanced_crossentropy" in out


@pytest.mark.parametrize("wrong, says", [
    (lambda z, x, w: rebalanced_loss(z, x, np.ones_like(w)), "left out the weights"),
    (lambda z, x, w: rebalanced_loss(z, x, w) * len(w) / w.sum(), "sum of the weights"),
    (lambda z, x, w: rebalanced_loss(z, x, w) * len(w), "summed over the pixels"),
    (lambda z, x, w: rebalanced_loss(z, x, w) / z.shape[-1], "averaged over the 313 bins"),
    (lambda z, x, w: float(np.mean(w * -(z * np.log(x)).sum(-1))), "not of the logits"),
    (lambda z, x, w: float(np.mean(w * -(z * np.log(np.exp(x) / np.exp(x).sum(-1, keepdims=True))).sum(-1))),
     "exp(1000) overflows"),
    (lambda z, x, w: np.mean(w * -(z * _log_softmax(x)).sum(-1), keepdims=True).repeat(2), "one number"),
])  # fmt: skip
def test_check_rebalanced_loss_fails_typical_mistakes_with_hint(wrong, says, capsys):
    with np.errstate(all="ignore"):
        assert checks.check_rebalanced_loss(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("FAIL: ") and " Hint: " in out and out.count("\n") == 1, out
    assert says in out


def test_check_rebalanced_loss_catches_a_wrong_library_mask(capsys, monkeypatch):
    # the NumPy cases pass; only the comparison with the Keras loss fails, here a loss that
    # forgets its rebalancing weights
    from chroma_lab import losses

    original = losses.rebalanced_crossentropy
    monkeypatch.setattr(losses, "rebalanced_crossentropy", lambda y_true, y_pred, weights: original(y_true, y_pred))
    assert checks.check_rebalanced_loss(rebalanced_loss) is False
    assert "against chroma_lab.losses.rebalanced_crossentropy" in capsys.readouterr().out


def test_check_rebalanced_loss_unsolved_and_broken(capsys):
    assert checks.check_rebalanced_loss(stub) is False
    assert checks.check_rebalanced_loss(lambda z, x, w: None) is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL: not implemented yet (stub)")  # the student's name
    assert out[1].startswith("FAIL: rebalanced_loss") and len(out) == 2


def test_check_gray_names_the_0_to_1_scale(capsys):
    # a correct formula on the wrong scale must get the scale hint, not the "weights sum" hint
    assert checks.check_gray(lambda rgb: color.rgb_to_gray(rgb / 255.0, "rec601"), "rec601") is False
    out = capsys.readouterr().out
    assert "0..255" in out and "sum to 1" not in out


# ----------------------------------------------------------------------------------------------
# No false FAIL: float32 answers and the usual epsilons inside a log pass
# ----------------------------------------------------------------------------------------------
def _float32(fn):
    return lambda *args, **kwargs: np.asarray(fn(*args, **kwargs), dtype=np.float32)


@pytest.mark.parametrize("checker, right", [
    (checks.check_srgb_to_linear, color.srgb_to_linear),
    (checks.check_decode, decode),
    (checks.check_onehot, lambda y, n: np.eye(n)[y]),
    (checks.check_soft_encode, quantize.soft_encode),
    (checks.check_rebalance_weights, quantize.rebalance_weights),
    (checks.check_annealed_mean, quantize.annealed_mean),
    (checks.check_crossentropy, checks.crossentropy_reference),
])  # fmt: skip
def test_a_float32_answer_passes(checker, right, capsys):
    assert checker(_float32(right)) is True, capsys.readouterr().out


def test_float32_decode_from_the_issue_passes(capsys):
    # the answer that was refused with "gave [0.0165, 0.8133, 0.9128], expected [0.0165, 0.8133, 0.9128]"
    assert checks.check_decode(lambda idx, pal: pal.astype(np.float32)[idx]) is True


@pytest.mark.parametrize("eps", [1e-7, 1e-6])
def test_an_epsilon_inside_the_log_passes(eps, capsys):
    def crossentropy(probs, targets):
        return float(np.mean(-np.sum(targets * np.log(probs + eps), axis=-1)))

    def annealed_mean(probs, T=0.38):
        scaled = np.log(probs + eps) / T
        f = np.exp(scaled - scaled.max(-1, keepdims=True))
        return (f / f.sum(-1, keepdims=True)) @ quantize.ab_bins()

    def rebalanced(z, x, w):
        e = np.exp(x - x.max(-1, keepdims=True))
        return float(np.mean(w * -(z * np.log(e / e.sum(-1, keepdims=True) + eps)).sum(-1)))

    def index_losses_eps(t, p, n, c):
        return abs(t - p), -np.log((1 - c) / (n - 1) + eps)

    assert checks.check_crossentropy(crossentropy) is True
    assert checks.check_annealed_mean(annealed_mean) is True
    assert checks.check_rebalanced_loss(rebalanced) is True
    assert checks.check_index_losses(index_losses_eps) is True
    assert capsys.readouterr().out.count("PASS: ") == 4


def test_values_that_print_alike_show_the_difference_and_dtypes():
    from chroma_lab.checks._core import Mismatch, expect_close

    # wrong by more than the tolerance, but the 4-decimal rounding hides it, so the line says so
    with pytest.raises(Mismatch, match=r"print alike but differ by up to 1\.2e-05.*float32, the reference float64"):
        expect_close(np.float32([0.123412]), [0.1234], "f(x)", rtol=0, atol=1e-6)
    expect_close(np.float32([0.123412]), [0.1234], "f(x)")  # within the default float32 tolerance


# ----------------------------------------------------------------------------------------------
# Wrong answers that used to pass, and hints that name the mistake
# ----------------------------------------------------------------------------------------------
def test_onehot_sized_by_the_largest_label_fails(capsys):
    assert checks.check_onehot(lambda y, n: np.eye(y.max() + 1)[y]) is False
    out = capsys.readouterr().out
    assert "largest label" in out and "n_classes" in out and " Hint: " in out, out


def test_a_linear_model_fails_the_patch_mlp(capsys):
    from sklearn.linear_model import LogisticRegression

    assert checks.check_patch_mlp(lambda X, y, h, rs: LogisticRegression(max_iter=500).fit(X, y)) is False
    out = capsys.readouterr().out
    assert "LogisticRegression has no hidden layer" in out and "XOR" in out, out


def test_the_patch_mlp_must_use_its_hidden_layers(capsys):
    from sklearn.neural_network import MLPClassifier

    assert checks.check_patch_mlp(lambda X, y, h, rs: MLPClassifier((8, 8), max_iter=300, random_state=rs)
                                  .fit(X, y)) is False  # fmt: skip
    assert "hidden_layer_sizes" in capsys.readouterr().out


def _soft_encode_with(select):
    def soft_encode(ab, k=5, sigma=5.0):
        d2 = ((np.asarray(ab, float)[..., None, :] - quantize.ab_bins()) ** 2).sum(-1)
        nearest = select(d2, k)
        w = np.exp(-np.take_along_axis(d2, nearest, -1) / (2 * sigma**2))
        out = np.zeros(d2.shape)
        np.put_along_axis(out, nearest, w / w.sum(-1, keepdims=True), -1)
        return out

    return soft_encode


@pytest.mark.parametrize("select", [
    lambda d2, k: np.argsort(d2, axis=-1)[..., :k],  # quicksort: ties in any order
    lambda d2, k: np.argpartition(d2, k - 1, axis=-1)[..., :k],
    lambda d2, k: (d2.shape[-1] - 1 - np.argsort(d2[..., ::-1], axis=-1, kind="stable"))[..., :k],
], ids=["argsort", "argpartition", "higher-index-first"])  # fmt: skip
def test_soft_encode_that_breaks_ties_wrongly_fails_naming_ties(select, capsys):
    assert checks.check_soft_encode(_soft_encode_with(select)) is False
    out = capsys.readouterr().out
    assert "equally near" in out and "stable" in out, out


def test_soft_encode_with_a_stable_sort_passes(capsys):
    assert checks.check_soft_encode(_soft_encode_with(lambda d2, k: np.argsort(d2, -1, kind="stable")[..., :k]))


def test_gray_cie_answered_with_lightness_says_so(capsys):
    assert checks.check_gray(lambda rgb: color.rgb_to_lab(rgb)[..., 0], "cie") is False
    linear_y = lambda rgb: 255 * color.srgb_to_linear(rgb / 255.0) @ color.XYZ_FROM_RGB[1]  # noqa: E731
    assert checks.check_gray(linear_y, "cie") is False
    out = capsys.readouterr().out.splitlines()
    assert "you returned L*" in out[0] and "sum to 1" not in out[0]
    assert "linear luminance" in out[1] and "sum to 1" not in out[1]


def test_messages_use_the_students_function_name(capsys):
    def my_extract_patches(gray, patch_size):
        return extract_patches(gray, patch_size, pad_mode="edge")

    assert checks.check_extract_patches(my_extract_patches) is False
    assert checks.check_extract_patches(stub) is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL: my_extract_patches: ") and "border" in out[0]
    assert out[1].startswith("FAIL: not implemented yet (stub)")


HINT_CODE = ("np.", "sklearn.", "()", "=", "[", "@", "**", ".sum", "axis=")


@pytest.mark.parametrize("name", sorted(CASES))
def test_hints_name_the_concept_not_the_code(name, capsys):
    checker, _, wrong = CASES[name]
    with np.errstate(all="ignore"):
        checker(wrong)
    hint = capsys.readouterr().out.split(" Hint: ", 1)[1]
    assert not any(code in hint for code in HINT_CODE), hint


# ----------------------------------------------------------------------------------------------
# Lesson 7's checkers (issue 19, item 6): float32 rounding is not a mistake, a missing
# max-subtraction is, and the hints name the idea without its code
# ----------------------------------------------------------------------------------------------
def _gradient_loss_float32(true_ab, pred_ab):
    """A correct answer computed in float32: the difference first, then its gradients."""
    d = (np.asarray(true_ab, np.float32) - np.asarray(pred_ab, np.float32)) / np.float32(110)
    dx, dy = d[:, :-1, 1:] - d[:, :-1, :-1], d[:, 1:, :-1] - d[:, :-1, :-1]
    return np.sqrt((dx**2).sum(-1) + (dy**2).sum(-1))


def _regularizer(dtype, stable=True):
    def color_regularizer(base_probs, refined_probs, T=0.01):
        base, scaled = np.asarray(base_probs, dtype), np.log(np.asarray(refined_probs, dtype)) / dtype(T)
        sharp = np.exp(scaled - scaled.max(-1, keepdims=True) if stable else scaled)
        sharp = sharp / sharp.sum(-1, keepdims=True)
        return 1 - (base * sharp).sum(-1) / base.max(-1)

    return color_regularizer


def _annealed_mean_unstable(probs, T=0.38):
    f = np.exp(np.log(probs) / T)
    return (f / f.sum(-1, keepdims=True)) @ quantize.ab_bins()


def test_a_float32_gradient_loss_passes(capsys):
    # refused before with "truth plus one constant colour must cost 0" (5.2e-8 against atol 1e-9)
    assert checks.check_gradient_loss(_gradient_loss_float32) is True, capsys.readouterr().out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_stable_regularizer_passes_in_either_precision(dtype, capsys):
    assert checks.check_color_regularizer(_regularizer(dtype)) is True, capsys.readouterr().out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_regularizer_without_max_subtraction_fails_naming_underflow(dtype, capsys):
    with np.errstate(all="ignore"):
        assert checks.check_color_regularizer(_regularizer(dtype, stable=False)) is False
    out = capsys.readouterr().out
    assert "underflow" in out and "overflows" not in out, out


def test_an_annealed_mean_without_max_subtraction_fails_naming_underflow(capsys):
    with np.errstate(all="ignore"):
        assert checks.check_annealed_mean(_annealed_mean_unstable) is False
    out = capsys.readouterr().out
    assert "underflow" in out and "overflows" not in out, out


def test_gradient_rebalancing_returned_as_a_list_passes(capsys):
    from chroma_lab.models.coherent import gradient_prior

    def as_list(ab, edges, lam=0.5):
        prior = gradient_prior(ab)
        return [prior, quantize.rebalance_weights(prior, lam)]

    assert checks.check_gradient_rebalancing(as_list) is True, capsys.readouterr().out


LESSON07_WRONG = {
    "gradient_loss": (checks.check_gradient_loss, lambda t, p: checks.gradient_loss_reference(t, p) ** 2),
    "color_regularizer": (checks.check_color_regularizer,
                          lambda z, r, T=0.01: checks.regularizer_reference(z, r, 1.0)),
    "gradient_rebalancing": (checks.check_gradient_rebalancing,
                             lambda ab, edges, lam=0.5: (np.ones(len(edges)), np.ones(len(edges)))),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LESSON07_WRONG))
def test_lesson07_hints_name_the_concept_not_the_code(name, capsys):
    checker, wrong = LESSON07_WRONG[name]
    assert checker(wrong) is False
    hint = capsys.readouterr().out.split(" Hint: ", 1)[1]
    assert not any(code in hint for code in HINT_CODE), hint


def _unstable_iizuka_loss(ab_pred, ab_true, logits, labels, alpha):
    """Lesson 6's loss with a softmax that does not subtract the maximum (right on small logits)."""
    unit = lambda ab: (np.asarray(ab, np.float64) / color.AB_SCALE + 1) / 2  # noqa: E731
    keep = labels >= 0
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.exp(logits[keep]) / np.exp(logits[keep]).sum(axis=1, keepdims=True)
        ce = -np.log(p[np.arange(keep.sum()), labels[keep]]).mean() if keep.any() else 0.0
    return float(np.mean((unit(ab_pred) - unit(ab_true)) ** 2) + alpha * ce)


def test_check_iizuka_loss_rejects_an_unstable_softmax(capsys):
    from chroma_lab.checks import lesson06

    assert lesson06.check_iizuka_loss(lesson06.iizuka_loss_reference)
    capsys.readouterr()
    assert not lesson06.check_iizuka_loss(_unstable_iizuka_loss)
    out = capsys.readouterr().out
    assert "logits + 1000" in out and "overflows" in out and "largest logit" in out
