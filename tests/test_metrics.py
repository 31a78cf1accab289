"""chroma_lab.metrics on hand-made images, against scikit-image and NumPy re-derivations."""

import math

import numpy as np
import pytest
from skimage.color import rgb2lab
from skimage.metrics import peak_signal_noise_ratio

from chroma_lab import metrics
from chroma_lab.data import to_gray
from chroma_lab.models.base import GrayColorizer
from chroma_lab.quantize import N_BINS, ab_bins

GRAY = (128, 128, 128)
ORANGE = (230, 150, 60)
TEAL = (40, 160, 150)


def flat(colour, shape=(4, 6)):
    """A uint8 image of one colour."""
    return np.broadcast_to(np.array(colour, dtype=np.uint8), shape + (3,)).copy()


def ab_distance(c1, c2):
    """Independent reference: ab distance of two colours through scikit-image."""
    lab = rgb2lab(np.array([[c1, c2]], dtype=np.uint8))[0]
    return float(np.hypot(*(lab[0, 1:] - lab[1, 1:])))


def auc_of_step(d, max_threshold=150):
    """AuC (percent) of a curve 0 below d and 1 from d on, sampled at integers, trapezoid rule."""
    first = math.ceil(d)  # first integer threshold t with d <= t
    assert first != d, "choose a non-integer distance for this formula"
    return 100.0 * (max_threshold - first + 0.5) / max_threshold


def test_identical_images_are_perfect():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    assert np.all(metrics.ab_errors(images, images) == 0)
    assert metrics.mean_ab_error(images, images) == 0.0
    assert metrics.fraction_within(images, images, threshold=0.0) == 1.0
    np.testing.assert_array_equal(metrics.accuracy_curve(images, images), np.ones(151))
    assert metrics.auc_raw(images, images) == 100.0
    assert metrics.auc_rebalanced(images, images) == 100.0
    assert metrics.psnr(images, images) == math.inf


def test_ab_errors_match_scikit_image():
    rng = np.random.default_rng(1)
    true, pred = rng.integers(0, 256, (2, 3, 4, 5, 3), dtype=np.uint8)
    expected = np.linalg.norm(rgb2lab(true)[..., 1:] - rgb2lab(pred)[..., 1:], axis=-1)
    np.testing.assert_allclose(metrics.ab_errors(true, pred), expected, atol=1e-4)
    np.testing.assert_allclose(metrics.ab_errors(true[0], pred[0]), expected[0], atol=1e-4)
    assert metrics.mean_ab_error(true, pred) == pytest.approx(expected.mean(), abs=1e-4)


def test_constant_offset_steps_at_its_distance():
    d = ab_distance(GRAY, ORANGE)
    assert 60 < d < 70  # about 62.4
    true, pred = flat(GRAY), flat(ORANGE)
    curve = metrics.accuracy_curve(true, pred)
    expected = (np.arange(151) >= d).astype(float)
    np.testing.assert_array_equal(curve, expected)
    assert metrics.auc_raw(true, pred) == pytest.approx(auc_of_step(d), abs=1e-9)
    assert metrics.fraction_within(true, pred, threshold=math.floor(d)) == 0.0
    assert metrics.fraction_within(true, pred, threshold=math.ceil(d)) == 1.0
    # a shorter sweep: area over 0..100 divided by 100, and none at all below d
    assert metrics.auc_raw(true, pred, max_threshold=100) == pytest.approx(auc_of_step(d, 100))
    assert metrics.auc_raw(true, pred, max_threshold=60) == 0.0


def test_two_offsets_average_their_steps():
    true = flat(GRAY, (2, 4))
    pred = np.concatenate([flat(ORANGE, (1, 4)), flat(TEAL, (1, 4))])
    d1, d2 = ab_distance(GRAY, ORANGE), ab_distance(GRAY, TEAL)
    expected = 0.5 * auc_of_step(d1) + 0.5 * auc_of_step(d2)
    assert metrics.auc_raw(true, pred) == pytest.approx(expected)
    near, far = sorted([d1, d2])
    thresholds = [0, near - 0.01, near + 0.01, far - 0.01, far + 0.01, 200]
    curve = metrics.accuracy_curve(true, pred, thresholds=thresholds)
    np.testing.assert_allclose(curve, [0.0, 0.0, 0.5, 0.5, 1.0, 1.0])


def test_weighted_accuracy_curve():
    true = flat(GRAY, (1, 4))
    pred = np.stack([[GRAY, GRAY, GRAY, ORANGE]]).astype(np.uint8)
    weights = np.array([[1.0, 1.0, 1.0, 3.0]])  # the wrong pixel carries half the weight
    np.testing.assert_allclose(metrics.accuracy_curve(true, pred, [0, 200], weights), [0.5, 1.0])
    np.testing.assert_allclose(metrics.accuracy_curve(true, pred, [0, 200]), [0.75, 1.0])


def test_gray_prediction_of_gray_image_is_right():
    true = np.repeat(np.arange(0, 256, 16, dtype=np.uint8).reshape(1, 4, 4, 1), 3, axis=-1)
    pred = GrayColorizer().fit(true).colorize(to_gray(true))
    assert metrics.mean_ab_error(true, pred) < 0.5
    assert metrics.fraction_within(true, pred) == 1.0
    assert metrics.auc_raw(true, pred) > 99.6
    assert metrics.colorfulness(pred) < 1.0


def test_gray_prediction_error_is_the_chroma():
    true = np.stack([[ORANGE, TEAL], [GRAY, (90, 60, 200)]]).astype(np.uint8)[None]
    pred = GrayColorizer().fit(true).colorize(to_gray(true))
    chroma = np.hypot(*np.moveaxis(rgb2lab(true)[..., 1:], -1, 0))
    np.testing.assert_allclose(metrics.ab_errors(true, pred), chroma, atol=0.5)


def test_colorfulness_of_gray_and_two_colours():
    assert metrics.colorfulness(flat(GRAY)) == 0.0
    two = np.concatenate([flat((255, 0, 0), (2, 4)), flat((0, 0, 255), (2, 4))])
    # by hand: rg = R - G is 255 or 0, yb = (R + G) / 2 - B is 127.5 or -255, half the pixels each
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])
    expected = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    assert metrics.colorfulness(two) == pytest.approx(expected)
    by_hand = math.hypot(127.5, 191.25) + 0.3 * math.hypot(127.5, 63.75)
    assert metrics.colorfulness(two) == pytest.approx(by_hand)
    # a batch averages the per-image values
    batch = np.stack([two, flat(GRAY, (4, 4))])
    assert metrics.colorfulness(batch) == pytest.approx(expected / 2)


def nearest_bin_by_brute_force(colour):
    ab = rgb2lab(np.array([[colour]], dtype=np.uint8))[0, 0, 1:]
    return int(np.argmin(np.linalg.norm(ab_bins() - ab, axis=1)))


def test_rebalanced_auc_with_default_and_hand_made_prior():
    # 3/4 of the pixels ORANGE (predicted exactly), 1/4 TEAL (predicted GRAY)
    true = np.concatenate([flat(ORANGE, (3, 4)), flat(TEAL, (1, 4))])
    pred = np.concatenate([flat(ORANGE, (3, 4)), flat(GRAY, (1, 4))])
    step = auc_of_step(ab_distance(TEAL, GRAY))
    assert metrics.auc_raw(true, pred) == pytest.approx(0.75 * 100 + 0.25 * step)
    # default prior: the images' own class frequencies -> both classes weigh the same in total
    assert metrics.auc_rebalanced(true, pred) == pytest.approx(0.5 * 100 + 0.5 * step)
    # hand prior: p(orange) = 0.1, p(teal) = 0.3 -> total weights 12 * 10 : 4 * 10 / 3 = 0.9 : 0.1
    a, b = nearest_bin_by_brute_force(ORANGE), nearest_bin_by_brute_force(TEAL)
    assert a != b
    prior = np.full(N_BINS, 0.6 / (N_BINS - 2))
    prior[a], prior[b] = 0.1, 0.3
    assert metrics.auc_rebalanced(true, pred, prior=prior) == pytest.approx(0.9 * 100 + 0.1 * step)


def test_rebalanced_auc_refuses_zero_probability_for_present_class():
    true, pred = flat(ORANGE), flat(GRAY)
    prior = np.full(N_BINS, 1.0 / (N_BINS - 1))
    prior[nearest_bin_by_brute_force(ORANGE)] = 0.0
    with pytest.raises(ValueError, match="probability 0"):
        metrics.auc_rebalanced(true, pred, prior=prior)
    with pytest.raises(ValueError, match="prior must hold 313"):
        metrics.auc_rebalanced(true, pred, prior=np.ones(10) / 10)


def test_psnr_matches_scikit_image_per_image_average():
    rng = np.random.default_rng(2)
    true = rng.integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)
    noise = rng.integers(-20, 21, true.shape)
    pred = np.clip(true.astype(int) + noise * np.arange(1, 4)[:, None, None, None], 0, 255)
    pred = pred.astype(np.uint8)
    expected = np.mean([peak_signal_noise_ratio(t, p, data_range=255) for t, p in zip(true, pred)])
    assert metrics.psnr(true, pred) == pytest.approx(expected)
    single = peak_signal_noise_ratio(true[0], pred[0], data_range=255)
    assert metrics.psnr(true[0], pred[0]) == pytest.approx(single)


def test_evaluate_collects_everything():
    true = np.concatenate([flat(ORANGE, (3, 4)), flat(TEAL, (1, 4))])[None]
    pred = np.concatenate([flat(ORANGE, (3, 4)), flat(GRAY, (1, 4))])[None]
    result = metrics.image_scores(true, pred)
    assert set(result) == {"mean_ab_error", "within_10", "auc_raw", "auc_rebalanced", "psnr",
                           "colorfulness", "colorfulness_true"}  # fmt: skip
    assert result["mean_ab_error"] == pytest.approx(metrics.mean_ab_error(true, pred))
    assert result["within_10"] == pytest.approx(0.75)
    assert result["auc_raw"] == pytest.approx(metrics.auc_raw(true, pred))
    assert result["auc_rebalanced"] == pytest.approx(metrics.auc_rebalanced(true, pred))
    assert result["psnr"] == pytest.approx(metrics.psnr(true, pred))
    assert result["colorfulness"] == pytest.approx(metrics.colorfulness(pred))
    assert result["colorfulness_true"] == pytest.approx(metrics.colorfulness(true))


@pytest.mark.parametrize(
    "true, pred, error, match",
    [
        (np.zeros((4, 4, 3)), np.zeros((4, 4, 3), np.uint8), TypeError, "true_rgb must be uint8"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8), ValueError, "same shape"),
        (np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8), ValueError, r"\(H, W, 3\)"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.int64), TypeError, "pred_rgb"),
    ],
)
def test_bad_inputs_name_the_argument(true, pred, error, match):
    with pytest.raises(error, match=match):
        metrics.mean_ab_error(true, pred)


def test_bad_options():
    im = flat(GRAY)
    with pytest.raises(ValueError, match="threshold"):
        metrics.fraction_within(im, im, threshold=-1)
    with pytest.raises(ValueError, match="max_threshold"):
        metrics.auc_raw(im, im, max_threshold=0)
    with pytest.raises(ValueError, match="weights"):
        metrics.accuracy_curve(im, im, weights=np.ones(3))
    with pytest.raises(ValueError, match="thresholds"):
        metrics.accuracy_curve(im, im, thresholds=[])


# ----------------------------------------------------------------------------------------------
# SSIM and the coherence measures
# ----------------------------------------------------------------------------------------------
RED, BLUE = (200, 35, 35), (40, 90, 230)


def two_tone(size=32, square=(8, 20), inside=RED, outside=BLUE):
    """A flat square on a flat background, and its region map (1 inside, 0 outside)."""
    image = flat(outside, (size, size))
    regions = np.zeros((size, size), dtype=np.int64)
    lo, hi = square
    image[lo:hi, lo:hi] = inside
    regions[lo:hi, lo:hi] = 1
    return image, regions


def bled(image, regions, by=3, colour=RED):
    """The square's colour leaking ``by`` pixels into the background, at the true lightness."""
    from scipy.ndimage import binary_dilation

    leak = binary_dilation(regions == 1, iterations=by)
    target = image.copy()
    target[leak] = colour
    return recolour_keeping_lightness(image, target)


def recolour_keeping_lightness(truth, colours):
    """Colours' ab on the truth's L (what a colorizer outputs: it keeps the lightness)."""
    from chroma_lab.color import rgb_from_l_ab, rgb_to_lab

    return rgb_from_l_ab(rgb_to_lab(truth)[..., 0], rgb_to_lab(colours)[..., 1:])


def test_ssim_is_one_for_identical_and_the_channel_mean_of_scikit_image():
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(3)
    true = rng.integers(0, 256, (2, 16, 12, 3), dtype=np.uint8)
    noisy = np.clip(true + rng.normal(0, 25, true.shape), 0, 255).astype(np.uint8)
    assert metrics.ssim(true, true) == pytest.approx(1.0)
    per_channel = [np.mean([structural_similarity(t[..., c], p[..., c], data_range=255, win_size=7)
                            for c in range(3)]) for t, p in zip(true, noisy)]  # fmt: skip
    assert metrics.ssim(true, noisy) == pytest.approx(np.mean(per_channel))
    noisier = np.clip(true + rng.normal(0, 60, true.shape), 0, 255).astype(np.uint8)
    assert metrics.ssim(true, noisier) < metrics.ssim(true, noisy) < 1.0
    assert metrics.ssim(true[0, :5, :4], noisy[0, :5, :4]) < 1.0  # small images: a 3x3 window
    with pytest.raises(ValueError, match="at least 3x3"):
        metrics.ssim(true[:, :2], noisy[:, :2])


def test_perfect_prediction_is_perfectly_coherent():
    true, regions = two_tone()
    assert metrics.surface_incoherence(true, true, regions) == 0.0
    assert metrics.edge_bleeding(true, true, regions) == 0.0


def test_bleeding_square_scores_worse_than_a_clean_one():
    true, regions = two_tone()
    clean = recolour_keeping_lightness(true, true)  # a colorizer's perfect answer
    leaky = bled(true, regions, by=3)
    assert metrics.edge_bleeding(true, clean, regions) < 0.02
    assert metrics.surface_incoherence(true, clean, regions) < 1.0
    # 3 px of leak > width 2: both pixels of every edge pair are red, all contrast is lost (but
    # for the 0.2 L* between the two colours: the same ab does not round to quite the same RGB)
    assert metrics.edge_bleeding(true, leaky, regions) == pytest.approx(1.0, abs=0.01)
    assert metrics.edge_bleeding(true, leaky, regions, width=5) < 1.0  # some pairs reach past
    # the background holds a red rim (a share s of it, red at distance d from blue): by hand,
    # (s (1 - s) d + (1 - s) s d) = 2 s (1 - s) d over the background's pixels
    rim = (leaky != clean).any(-1)
    s, d = rim.sum() / (regions == 0).sum(), ab_distance(RED, BLUE)
    background = (regions == 0).mean()
    expected = background * 2 * s * (1 - s) * d
    assert metrics.surface_incoherence(true, leaky, regions) == pytest.approx(expected, rel=0.02)
    one_px = bled(true, regions, by=1)
    assert 0 < metrics.edge_bleeding(true, one_px, regions) < metrics.edge_bleeding(true, leaky, regions)


def test_incoherence_by_hand_for_a_blotch():
    # truth: one flat surface; prediction: the same with 4 of 16 pixels another colour
    true = flat(GRAY, (4, 4))
    pred = true.copy()
    pred[:2, :2] = ORANGE
    regions = np.zeros((4, 4), dtype=int)
    d = metrics.ab_errors(true, pred)[0, 0]  # the blotch's distance from the truth
    # deviations P - T: d (4 pixels) and 0 (12 pixels), mean d/4 -> |3d/4| and |d/4|
    expected = (4 * 0.75 * d + 12 * 0.25 * d) / 16
    assert metrics.surface_incoherence(true, pred, regions) == pytest.approx(expected)
    # an even wrong colour on each surface is coherent: ab error's business, not this one's
    shifted = flat(ORANGE, (4, 4))
    assert metrics.surface_incoherence(true, shifted, regions) == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(metrics.edge_bleeding(true, pred, regions))  # one surface: no edge


def test_uniform_prediction_is_not_coherent_when_the_truth_has_edges():
    true, regions = two_tone()
    uniform = GrayColorizer().fit(true[None]).colorize(to_gray(true[None]))[0]
    assert metrics.edge_bleeding(true, uniform, regions) == pytest.approx(1.0)
    one_colour = recolour_keeping_lightness(true, flat(ORANGE, true.shape[:2]))
    assert metrics.edge_bleeding(true, one_colour, regions) == pytest.approx(1.0, abs=0.02)
    # no edge with colour contrast in the truth: nothing to bleed, the measure is undefined
    assert np.isnan(metrics.edge_bleeding(true, uniform, np.zeros_like(regions)))


def test_coherence_pools_over_images_and_keeps_surfaces_apart():
    true, regions = two_tone()
    leaky = bled(true, regions, by=3)
    batch_true, batch_pred = np.stack([true, true]), np.stack([true, leaky])
    both = np.stack([regions, regions])
    # equal sizes: pooled incoherence is the mean of the two images'
    assert metrics.surface_incoherence(batch_true, batch_pred, both) == pytest.approx(
        0.5 * metrics.surface_incoherence(true, leaky, regions))
    # same truth twice: the same contrast, so the pooled share is the mean of the two images'
    assert metrics.edge_bleeding(batch_true, batch_pred, both) == pytest.approx(
        0.5 * metrics.edge_bleeding(true, leaky, regions))
    # label 0 in image 0 and label 0 in image 1 are two surfaces: a per-image colour shift is free
    flat_regions = np.zeros((2, 32, 32), dtype=int)
    uniform_true = np.stack([flat(GRAY, (32, 32))] * 2)
    uniform_pred = np.stack([flat(GRAY, (32, 32)), flat(ORANGE, (32, 32))])
    assert metrics.surface_incoherence(uniform_true, uniform_pred, flat_regions) == pytest.approx(0, abs=1e-9)


def test_lightness_regions_split_a_two_tone_image_at_its_edge():
    # dark square on a light background: two surfaces found from L* alone
    true, regions = two_tone(inside=(60, 40, 30), outside=(220, 210, 190))
    found = metrics.lightness_regions(true)
    assert found.shape == (32, 32) and found.dtype == np.int32
    assert len(np.unique(found)) == 2
    inside = found[regions == 1]
    assert np.all(inside == inside[0]) and not np.any(found[regions == 0] == inside[0])
    # the measures then agree with the exact ones
    leaky = bled(true, regions, by=3, colour=(60, 40, 30))
    assert metrics.edge_bleeding(true, leaky, found) == pytest.approx(metrics.edge_bleeding(true, leaky, regions))
    assert len(np.unique(metrics.lightness_regions(flat(GRAY, (32, 32))))) == 1
    # with sensor noise the square is still found: its main label covers it and little else
    rng = np.random.default_rng(4)
    noisy = np.clip(true + rng.normal(0, 3, true.shape), 0, 255).astype(np.uint8)
    found = metrics.lightness_regions(np.stack([noisy, true]))
    assert found.shape == (2, 32, 32)
    main = np.bincount(found[0][regions == 1]).argmax()
    assert np.mean(found[0][regions == 1] == main) > 0.9
    assert np.mean(found[0][regions == 0] == main) < 0.05


def test_all_scores_holds_every_measure():
    true, regions = two_tone()
    leaky = bled(true, regions)
    scores = metrics.all_scores(true, leaky, regions)
    assert set(scores) == set(metrics.image_scores(true, leaky)) | {"colorfulness_gap", "ssim",
                                                                  "incoherence", "bleeding"}
    assert scores["bleeding"] == pytest.approx(metrics.edge_bleeding(true, leaky, regions))
    assert scores["incoherence"] == pytest.approx(metrics.surface_incoherence(true, leaky, regions))
    assert scores["ssim"] == pytest.approx(metrics.ssim(true, leaky))
    assert scores["colorfulness_gap"] == pytest.approx(metrics.colorfulness(leaky) - metrics.colorfulness(true))


@pytest.mark.parametrize("regions, match", [(np.zeros((32, 31), int), "regions must label"),
                                            (np.zeros((32, 32)), "non-negative int"),
                                            (-np.ones((32, 32), int), "non-negative int")])
def test_coherence_bad_regions(regions, match):
    true, _ = two_tone()
    with pytest.raises(ValueError, match=match):
        metrics.surface_incoherence(true, true, regions)
    with pytest.raises(ValueError, match=match):
        metrics.edge_bleeding(true, true, regions)


def test_coherence_bad_options():
    true, regions = two_tone()
    with pytest.raises(ValueError, match="width"):
        metrics.edge_bleeding(true, true, regions, width=0)
    with pytest.raises(ValueError, match="scale"):
        metrics.lightness_regions(true, scale=-1)
    with pytest.raises(ValueError, match="min_size"):
        metrics.lightness_regions(true, min_size=0)
