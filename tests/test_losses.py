"""chroma_lab.losses against a NumPy re-derivation of Zhang et al.'s targets and objectives.

The reference pipeline is written here from the NumPy functions of color.py and quantize.py:
Lab of every 4th pixel, soft encoding on 5 bins with sigma 5, the rebalancing weight of the
nearest bin, the gray-image mask, log-softmax by hand; sum over classes, mean over pixels.
"""

import keras
import numpy as np
import pytest

from chroma_lab import losses
from chroma_lab.color import rgb_to_lab
from chroma_lab.quantize import N_BINS, nearest_bin, rebalance_weights, soft_encode

STRIDE = 4


@pytest.fixture(scope="module")
def batch():
    """Three 8x8 images: random colours, pure grays, and a near-gray image with |ab| < 5."""
    rng = np.random.default_rng(3)
    colour = rng.integers(0, 256, (8, 8, 3))
    gray = np.repeat(rng.integers(0, 256, (8, 8, 1)), 3, axis=-1)
    near_gray = np.clip(gray + rng.integers(-1, 2, (8, 8, 3)), 0, 255)
    rgb = np.stack([colour, gray, near_gray]).astype(np.uint8)
    ab = rgb_to_lab(rgb)[:, ::STRIDE, ::STRIDE, 1:]
    assert np.abs(ab[2]).max() < 5 < np.abs(ab[0]).max()  # the fixture is what it claims
    logits = rng.normal(0, 2, (3, 2, 2, N_BINS)).astype(np.float32)
    prior = rng.dirichlet(np.ones(N_BINS))
    return rgb, logits, prior


def _reference(rgb, logits, prior=None):
    """Per-pixel weighted cross-entropy (n, 2, 2), soft targets and weights, in NumPy float64."""
    ab = rgb_to_lab(rgb)[:, ::STRIDE, ::STRIDE, 1:]
    z = soft_encode(ab, k=5, sigma=5.0, dtype=np.float64)
    mask = (np.abs(ab).reshape(len(ab), -1).max(axis=1) > 5.0).astype(float)[:, None, None]
    weights = mask * (rebalance_weights(prior, 0.5)[nearest_bin(ab)] if prior is not None else 1.0)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -(z * log_softmax).sum(axis=-1) * weights, z, weights


def test_targets_equal_numpy_pipeline(batch):
    rgb, _, prior = batch
    _, z_ref, w_ref = _reference(rgb, np.zeros((3, 2, 2, N_BINS)), prior)
    z, w = losses.zhang_targets(rgb, rebalance_weights(prior, 0.5))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(z), z_ref, atol=2e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(w), w_ref, rtol=1e-5)
    assert np.all(keras.ops.convert_to_numpy(w)[1:] == 0)  # gray and near-gray images weigh 0


def test_gray_mask_uses_the_subsampled_pixels():
    rgb = np.full((2, 8, 8, 3), 128, np.uint8)
    rgb[0, 4, 4] = (255, 0, 0)  # on the stride-4 grid: counts
    rgb[1, 5, 5] = (255, 0, 0)  # off the grid: never seen by the loss, as in the reference
    ab = losses.target_ab(rgb)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(losses.nongray_mask(ab)).ravel(), [1, 0])


@pytest.mark.parametrize("as_float", [False, True])
def test_rebalanced_loss_matches_numpy(batch, as_float):
    rgb, logits, prior = batch
    y_true = rgb.astype(np.float32) if as_float else rgb  # Keras hands y_true over as float32
    ref, _, _ = _reference(rgb, logits.astype(np.float64), prior)
    per_pixel = losses.rebalanced_crossentropy(y_true, logits, rebalance_weights(prior, 0.5))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(per_pixel), ref, rtol=1e-4, atol=1e-5)
    value = losses.RebalancedCrossEntropy(prior, stride=4)(y_true, logits)
    # sum over classes, mean over every pixel of the batch, masked ones included
    np.testing.assert_allclose(float(value), ref.mean(), rtol=1e-5)


def test_class_loss_is_unweighted(batch):
    rgb, logits, _ = batch
    ref, _, _ = _reference(rgb, logits.astype(np.float64), None)
    np.testing.assert_allclose(float(losses.SoftCrossEntropy(stride=4)(rgb, logits)), ref.mean(), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(losses.soft_crossentropy(rgb, logits)),
                               ref, rtol=1e-4, atol=1e-5)  # fmt: skip


def test_l2_loss_matches_numpy(batch):
    rgb, _, _ = batch
    pred = np.random.default_rng(0).normal(0, 0.3, (3, 2, 2, 2)).astype(np.float32)
    ab = rgb_to_lab(rgb)[:, ::STRIDE, ::STRIDE, 1:]
    mask = np.array([1.0, 0.0, 0.0])[:, None, None]
    ref = ((pred - ab / 110.0) ** 2).sum(axis=-1) * mask
    np.testing.assert_allclose(keras.ops.convert_to_numpy(losses.l2_ab(rgb, pred)), ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(losses.L2AbLoss(stride=4)(rgb, pred)), ref.mean(), rtol=1e-4)


def test_perfect_prediction_has_zero_l2_and_entropy_floor(batch):
    rgb, _, prior = batch
    ab = rgb_to_lab(rgb)[:, ::STRIDE, ::STRIDE, 1:]
    assert float(losses.L2AbLoss(stride=4)(rgb, (ab / 110.0).astype(np.float32))) < 1e-8
    # logits = log z reach the minimum of the cross-entropy: the entropy of the soft targets
    z = soft_encode(ab)
    ce = keras.ops.convert_to_numpy(losses.soft_crossentropy(rgb, np.log(np.maximum(z, 1e-30))))
    entropy = -(z * np.log(np.maximum(z, 1e-30))).sum(-1)
    np.testing.assert_allclose(ce[0], entropy[0], rtol=1e-4, atol=1e-5)


def test_gradient_is_weighted_softmax_minus_target(batch):
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("gradient check written with tf.GradientTape")
    rgb, logits, prior = batch
    _, z, w = _reference(rgb, logits, prior)
    x = tf.Variable(logits)
    with tf.GradientTape() as tape:
        value = losses.RebalancedCrossEntropy(prior, stride=4)(rgb, x)
    softmax = np.exp(logits - logits.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    expected = w[..., None] * (softmax - z) / w.size
    np.testing.assert_allclose(tape.gradient(value, x).numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("name", losses.LOSSES)
def test_config_round_trip(batch, name):
    rgb, logits, prior = batch
    loss = losses.get_loss(name, prior, stride=4)
    pred = logits if name != "l2" else logits[..., :2]
    for copy in (type(loss).from_config(loss.get_config()),
                 keras.losses.deserialize(keras.losses.serialize(loss))):  # fmt: skip
        assert type(copy) is type(loss)
        assert float(copy(rgb, pred)) == pytest.approx(float(loss(rgb, pred)), rel=1e-6)
    if name == "full":
        np.testing.assert_allclose(copy.prior, prior)


def test_errors_name_the_problem(batch):
    rgb, logits, prior = batch
    with pytest.raises(ValueError, match="loss must be one of"):
        losses.get_loss("huber", stride=4)
    with pytest.raises(ValueError, match="needs the training prior"):
        losses.get_loss("full", stride=4)
    with pytest.raises(ValueError, match=r"prior must have shape \(313,\)"):
        losses.RebalancedCrossEntropy(prior[:10], stride=4)
    with pytest.raises(ValueError, match="stride must be an int >= 1, got 0"):
        losses.SoftCrossEntropy(stride=0)
    with pytest.raises(ValueError, match="stride must be an int >= 1, got None"):
        losses.RebalancedCrossEntropy(prior)  # the model must say its stride
    with pytest.raises(TypeError, match="stride"):
        losses.get_loss("class")
    with pytest.raises(ValueError, match="spatial shape"):
        losses.soft_crossentropy(rgb, logits[:, :1])
    with pytest.raises(ValueError, match=r"shape \(n, h, w, 313\)"):
        losses.soft_crossentropy(rgb, logits[..., :2])
