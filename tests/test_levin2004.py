"""Levin et al. (2004): the affinity and the system against loop-by-loop and dense references."""

import numpy as np
import pytest

from chroma_lab.color import rgb_to_gray, rgb_to_lab
from chroma_lab.data import bundled_photos
from chroma_lab.hints import HintsError
from chroma_lab.models import GrayColorizer
from chroma_lab.models.levin2004 import LevinColorizer, affinity_weights, propagate_hints


def reference_weights(L):
    """The paper's w_rs, pixel by pixel: exp(-(Y_r - Y_s)^2 / 2 sigma_r^2) over the 3x3 window,
    sigma_r^2 the window's variance (floored as the released code does), normalised per row."""
    Y = L / 100.0
    height, width = Y.shape
    W = np.zeros((height * width, height * width))
    for y in range(height):
        for x in range(width):
            window = [(j, i) for j in range(y - 1, y + 2) for i in range(x - 1, x + 2)
                      if 0 <= j < height and 0 <= i < width]
            values = np.array([Y[j, i] for j, i in window])
            neighbours = [(j, i) for j, i in window if (j, i) != (y, x)]
            d2 = np.array([(Y[j, i] - Y[y, x]) ** 2 for j, i in neighbours])
            two_sigma2 = max(2 * values.var(), d2.min() / -np.log(0.01), 2e-6)
            w = np.exp(-d2 / two_sigma2)
            for (j, i), wk in zip(neighbours, w / w.sum()):
                W[y * width + x, j * width + i] = wk
    return W


@pytest.fixture(scope="module")
def photos_64():
    return bundled_photos(64)[0]


@pytest.fixture
def tiny():
    rng = np.random.default_rng(3)
    L = rng.uniform(10, 90, size=(5, 6))
    L[:, :3] = 30.0  # a flat region: the variance floor matters there
    mask = np.zeros((5, 6), dtype=bool)
    mask[0, 0] = mask[4, 5] = mask[2, 3] = True
    ab = rng.uniform(-40, 40, size=(5, 6, 2))
    return L, ab, mask


def test_weights_match_the_formula_pixel_by_pixel(tiny):
    L = tiny[0]
    np.testing.assert_allclose(affinity_weights(L).toarray(), reference_weights(L), atol=1e-12)


def test_rows_sum_to_one_and_similar_lightness_weighs_more():
    L = np.array([[50.0, 50.0, 80.0]])
    W = affinity_weights(L).toarray()
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    assert W[1, 0] > 5 * W[1, 2]  # the middle pixel follows its equal-lightness neighbour


def test_system_matches_a_dense_solve(tiny):
    """U_r - sum_s w_rs U_s = 0 for free r, U_r = hint for hinted r: one dense N x N solve."""
    L, ab, mask = tiny
    n = L.size
    A = np.eye(n) - reference_weights(L)
    rhs = np.zeros((n, 2))
    for r in np.flatnonzero(mask.ravel()):
        A[r] = 0.0
        A[r, r] = 1.0
        rhs[r] = ab.reshape(-1, 2)[r]
    expected = np.linalg.solve(A, rhs).reshape(5, 6, 2)
    np.testing.assert_allclose(propagate_hints(L, ab, mask), expected, atol=1e-9)


def test_hinted_pixels_come_back_within_a_few_lab_units(photos_64):
    rgb = photos_64[:2]
    ab_true = rgb_to_lab(rgb)[..., 1:]
    mask = np.zeros(rgb.shape[:3], dtype=bool)
    mask[:, 10:54:11, 7:60:13] = True
    out = LevinColorizer().fit(rgb).colorize(rgb_to_gray(rgb), hints=(ab_true, mask))
    error = np.linalg.norm(rgb_to_lab(out)[..., 1:] - ab_true, axis=-1)
    assert error[mask].max() < 3.0
    assert error[~mask].mean() > error[mask].mean()  # the rest is propagated, not copied


def test_no_hints_gives_gray_and_other_colorizers_refuse_hints(photos_64):
    gray = rgb_to_gray(photos_64[:1])
    out = LevinColorizer.fitted().colorize(gray)
    assert np.abs(out.astype(int) - gray[..., None]).max() <= 1
    hints = (np.zeros(gray.shape + (2,)), np.zeros(gray.shape, dtype=bool))
    with pytest.raises(TypeError, match="takes no hints"):
        GrayColorizer().fit(photos_64[:1]).colorize(gray, hints=hints)


@pytest.mark.parametrize("hints, match", [
    ((np.zeros((1, 8, 8, 2)), np.zeros((1, 8, 9), dtype=bool)), "mask must have shape"),
    ((np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8), dtype=bool)), "ab must have shape"),
    ((np.zeros((1, 8, 8, 2)), np.zeros((1, 8, 8))), "must be bool"),
    (np.zeros((1, 8, 8, 2)), "pair"),
])
def test_bad_hints_are_refused(hints, match):
    with pytest.raises(HintsError, match=match):
        LevinColorizer.fitted().colorize(np.zeros((1, 8, 8), dtype=np.uint8), hints=hints)
