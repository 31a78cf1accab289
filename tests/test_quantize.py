"""Tests for chroma_lab.quantize against independent references: Zhang et al.'s published tables,
the 313 bins re-derived from the sRGB gamut, scikit-learn's nearest neighbours, NumPy
re-derivations of the prior, the rebalancing and the annealed mean, and hand-checkable cases."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import ConvexHull
from sklearn.neighbors import NearestNeighbors

from chroma_lab import quantize
from chroma_lab.color import lightness, rgb_to_lab
from chroma_lab.quantize import (
    KMeansPalette,
    SOMPalette,
    ab_bins,
    annealed_mean,
    class_prior,
    k_nearest_bins,
    nearest_bin,
    rebalance_weights,
    soft_encode,
    soft_encode_sparse,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
BINS_SHA256 = "e74b520cf1929e90ad9f051db10931e8ac5d1534c6cedabd7bfeba7a78a96c89"
E2 = np.exp(-2.0)  # the Gaussian weight (sigma 5) of a bin 10 away: exp(-100 / 50)


def _shared(relative):
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not available")
    return np.load(path)


def _bin(a, b):
    return int(np.flatnonzero((ab_bins() == [a, b]).all(axis=1))[0])


@pytest.fixture(scope="module")
def photo_ab():
    """ab of 12000 random pixels of three real photos (scikit-image's, shipped with it)."""
    import skimage.data

    photos = (skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea())
    pixels = np.concatenate([im.reshape(-1, 3) for im in photos])
    pick = np.random.default_rng(0).choice(len(pixels), 12000, replace=False)
    return rgb_to_lab(pixels[pick])[:, 1:]


@pytest.fixture(scope="module")
def uniform_ab():
    return np.random.default_rng(1).uniform(-150, 150, (12000, 2))


def _reference_soft(ab, k, sigma):
    """Soft-encoding re-derived with scikit-learn: k-NN, Gaussian weights, normalised.

    The exponent is taken relative to the nearest bin (the same normalised weights) so that far
    points do not underflow to 0/0. Also returns which points have a tie at the k-th distance,
    where any of the tied bins is a right answer.
    """
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(ab_bins()).kneighbors(ab)
    tie = np.isclose(dist[:, k - 1], dist[:, k], rtol=0, atol=1e-9)
    d2 = dist[:, :k] ** 2
    w = np.exp(-(d2 - d2[:, :1]) / (2 * sigma**2))
    dense = np.zeros((len(ab), 313))
    dense[np.arange(len(ab))[:, None], idx[:, :k]] = w / w.sum(axis=1, keepdims=True)
    return dense, idx[:, :k], dist[:, :k], tie


# ----------------------------------------------------------------------------------------------
# The 313 bins
# ----------------------------------------------------------------------------------------------
def test_bins_equal_the_published_table():
    published = _shared("reference/pts_in_hull.npy")
    published = published[np.lexsort((published[:, 1], published[:, 0]))]
    assert ab_bins().shape == (313, 2) == published.shape
    np.testing.assert_array_equal(ab_bins(), published)


def test_bins_checksum():
    bins = ab_bins()
    assert np.array_equal(bins, bins[np.lexsort((bins[:, 1], bins[:, 0]))])  # sorted by (a, b)
    digest = hashlib.sha256(np.asarray(bins, dtype="<i2").tobytes()).hexdigest()
    assert digest == BINS_SHA256
    assert quantize.N_BINS == 313


def test_bins_rederived_from_the_srgb_gamut():
    # the ab projection of the sRGB solid: its 6 faces suffice for the convex hull
    v = np.linspace(0, 1, 64)
    u, w = (x.ravel() for x in np.meshgrid(v, v, indexing="ij"))
    faces = []
    for axis in range(3):
        for value in (0.0, 1.0):
            face = np.empty((len(u), 3))
            face[:, axis], face[:, [i for i in range(3) if i != axis]] = value, np.stack([u, w], 1)
            faces.append(face)
    ab = rgb_to_lab(np.concatenate(faces))[:, 1:]
    hull = ab[ConvexHull(ab).vertices]
    # grid points whose +-10 square intersects the hull polygon, by the separating-axis test:
    # two convex polygons are disjoint iff their projections on some edge normal are disjoint
    a, b = np.meshgrid(np.arange(-110, 111, 10), np.arange(-120, 121, 10), indexing="ij")
    centres = np.stack([a.ravel(), b.ravel()], 1).astype(float)
    squares = centres[:, None, :] + 10.0 * np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]])
    edges = np.roll(hull, -1, axis=0) - hull
    axes = np.concatenate([np.stack([edges[:, 1], -edges[:, 0]], 1), [[1.0, 0.0], [0.0, 1.0]]])
    hull_proj = hull @ axes.T  # (vertices, axes)
    square_proj = squares @ axes.T  # (points, 4, axes)
    separated = (hull_proj.max(0) < square_proj.min(1)) | (square_proj.max(1) < hull_proj.min(0))
    derived = centres[~separated.any(axis=1)]
    assert len(derived) == 313
    np.testing.assert_array_equal(derived, ab_bins())


# ----------------------------------------------------------------------------------------------
# Soft-encoding against scikit-learn
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 5, 10])
@pytest.mark.parametrize("sigma", [2.5, 5.0])
@pytest.mark.parametrize("data", ["photo", "uniform"])
def test_soft_encode_matches_scikit_learn(k, sigma, data, photo_ab, uniform_ab):
    ab = photo_ab if data == "photo" else uniform_ab
    ref, ref_idx, _, tie = _reference_soft(ab, k, sigma)
    # exact ties: black pixels (a = b = 0 exactly) have 4 equidistant 10th nearest bins
    assert np.mean(tie & np.any(ab != 0, axis=1)) < 1e-3
    dense64 = soft_encode(ab, k, sigma, dtype=np.float64)
    dense32 = soft_encode(ab, k, sigma)
    assert dense32.dtype == np.float32 and dense32.shape == (len(ab), 313)
    np.testing.assert_allclose(dense64[~tie], ref[~tie], rtol=0, atol=1e-12)
    np.testing.assert_allclose(dense32[~tie], ref[~tie], rtol=0, atol=1e-6)
    np.testing.assert_allclose(dense32.sum(axis=1), 1.0, atol=1e-6)
    if data == "photo":  # in gamut: no weight underflows, exactly k bins each
        assert np.all(np.count_nonzero(dense32, axis=1) == k)
    index, weights = soft_encode_sparse(ab, k, sigma)
    assert index.shape == weights.shape == (len(ab), k) and weights.dtype == np.float64
    np.testing.assert_array_equal(np.sort(index[~tie], 1), np.sort(ref_idx[~tie], 1))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    scattered = np.zeros_like(dense64)
    scattered[np.arange(len(ab))[:, None], index] = weights
    np.testing.assert_allclose(scattered, dense64, rtol=0, atol=1e-6)  # ties included


def test_nearest_bins_match_scikit_learn(photo_ab, uniform_ab):
    ab = np.concatenate([photo_ab, uniform_ab])
    _, ref_idx, ref_dist, tie = _reference_soft(ab, 10, 5.0)
    idx, dist = k_nearest_bins(ab, 10)
    np.testing.assert_allclose(dist, ref_dist, rtol=0, atol=1e-9)  # sorted, nearest first
    assert np.all(np.diff(dist, axis=1) >= 0)
    np.testing.assert_array_equal(np.sort(idx[~tie], 1), np.sort(ref_idx[~tie], 1))
    first_tie = np.isclose(ref_dist[:, 0], ref_dist[:, 1], atol=1e-9)
    np.testing.assert_array_equal(nearest_bin(ab)[~first_tie], ref_idx[~first_tie, 0])


def test_ties_go_to_the_lower_bin_index():
    # (0, 0) is a bin; its 4 neighbours are 10 away: (-10, 0) has the lowest index of them
    idx, dist = k_nearest_bins(np.zeros(2), k=2)
    np.testing.assert_array_equal(idx, [_bin(0, 0), _bin(-10, 0)])
    np.testing.assert_allclose(dist, [0, 10])
    index, weights = soft_encode_sparse(np.zeros(2), k=2)
    assert sorted(index.tolist()) == sorted([_bin(0, 0), _bin(-10, 0)])
    np.testing.assert_allclose(np.sort(weights), np.array([E2, 1]) / (1 + E2))
    dense = soft_encode(np.zeros(2), k=2)
    assert np.count_nonzero(dense) == 2


def test_soft_encode_by_hand():
    # a bin centre: itself and its 4 neighbours at distance 10, weights 1 and exp(-2) before norm
    out = soft_encode(np.array([0.0, 0.0]), k=5, sigma=5.0, dtype=np.float64)
    assert out.shape == (313,)
    expected = np.zeros(313)
    expected[_bin(0, 0)] = 1
    expected[[_bin(-10, 0), _bin(10, 0), _bin(0, -10), _bin(0, 10)]] = E2
    np.testing.assert_allclose(out, expected / (1 + 4 * E2), atol=1e-15)


@pytest.mark.parametrize("shape", [(2,), (3, 2), (2, 3, 2), (2, 0, 4, 2), (1, 5, 7, 2)])
def test_any_leading_shape(shape):
    ab = np.random.default_rng(2).uniform(-100, 100, shape)
    dense = soft_encode(ab)
    assert dense.shape == shape[:-1] + (313,)
    np.testing.assert_array_equal(dense.reshape(-1, 313), soft_encode(ab.reshape(-1, 2)))
    index, weights = soft_encode_sparse(ab)
    assert index.shape == weights.shape == shape[:-1] + (5,)
    assert nearest_bin(ab).shape == shape[:-1]
    assert k_nearest_bins(ab, 3)[0].shape == shape[:-1] + (3,)


def test_far_points_give_finite_rows():
    far = np.array([[1000.0, 0.0], [-1000.0, 1000.0], [0.0, -1200.0], [1e6, 1e6], [300.0, 5.0]])
    for dtype in (np.float32, np.float64):
        dense = soft_encode(far, dtype=dtype)
        assert np.isfinite(dense).all()
        np.testing.assert_allclose(dense.sum(axis=1), 1.0, atol=1e-6)
    index, weights = soft_encode_sparse(far)
    assert np.isfinite(weights).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(nearest_bin(far), NearestNeighbors(n_neighbors=1).fit(ab_bins())
                                  .kneighbors(far)[1][:, 0])  # fmt: skip


def test_large_k():
    ab = np.array([[3.1, 4.3], [51.7, -18.2]])  # k > 16: distances to all 313 bins
    ref, _, _, tie = _reference_soft(ab, 40, 5.0)
    assert not tie.any()
    np.testing.assert_allclose(soft_encode(ab, k=40, dtype=np.float64), ref, atol=1e-12)
    dense = soft_encode(ab, k=313, sigma=1000.0, dtype=np.float64)
    assert np.count_nonzero(dense, axis=1).tolist() == [313, 313]


def test_results_are_fresh_arrays():
    # nothing is reused between calls: scribbling into one result cannot change the next one
    ab = np.random.default_rng(3).uniform(-100, 100, (3000, 2))
    first = soft_encode(ab)
    expected = first.copy()
    first += 0.01
    first[:, ::7] = -1.0
    again = soft_encode(ab)
    np.testing.assert_allclose(again.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(again, expected)
    assert np.count_nonzero(again) == 5 * 3000
    with pytest.raises(TypeError, match="out"):
        soft_encode(ab, out=np.zeros((3000, 313), np.float32))  # out= is not part of the API


@pytest.mark.parametrize("k", [1, 2, 5, 10, 16])
def test_ties_on_a_lattice_equal_a_stable_search_over_all_bins(k):
    # every point of a 2.5-step lattice: bin centres, cell edges and corners, bisectors, where
    # several bins are exactly as near; a stable sort over all 313 gives them in index order
    a, b = np.meshgrid(np.arange(-112.5, 122.5, 2.5), np.arange(-132.5, 122.5, 2.5), indexing="ij")
    ab = np.stack([a.ravel(), b.ravel()], axis=1)
    d2 = ((ab[:, None, :] - ab_bins()) ** 2).sum(-1)
    expected = np.argsort(d2, axis=1, kind="stable")[:, :k]
    idx, dist = k_nearest_bins(ab, k)
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_array_equal(dist, np.sqrt(np.take_along_axis(d2, expected, 1)))


def test_points_just_off_cell_edges():
    # one ulp either side of every cell edge: rounding may put a point in the neighbouring cell
    edges = np.arange(-100.0, 111.0, 10.0)
    a = np.concatenate([np.nextafter(edges, -np.inf), edges, np.nextafter(edges, np.inf)])
    ab = np.stack(np.meshgrid(a, a - 20.0 + 3.0, indexing="ij"), -1).reshape(-1, 2)
    d2 = ((ab[:, None, :] - ab_bins()) ** 2).sum(-1)
    idx, _ = k_nearest_bins(ab, 5)
    np.testing.assert_array_equal(idx, np.argsort(d2, axis=1, kind="stable")[:, :5])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ab": np.zeros((4, 3))}, r"ab must have a and b on its last axis .*\(4, 3\)"),
        ({"ab": np.array([[np.nan, 0.0]])}, "ab holds 1 NaN or infinite"),
        ({"ab": np.zeros(2), "k": 0}, "k must be an int in 1..313, got 0"),
        ({"ab": np.zeros(2), "k": 2.5}, "k must be an int in 1..313, got 2.5"),
        ({"ab": np.zeros(2), "sigma": 0}, "sigma must be a number > 0, got 0"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, match):
    for fn in (soft_encode, soft_encode_sparse):
        with pytest.raises(ValueError, match=match):
            fn(**kwargs)


def test_ops_versions_equal_numpy(photo_ab):
    keras = pytest.importorskip("keras")
    ab = photo_ab[:3000]
    dense = keras.ops.convert_to_numpy(quantize.soft_encode_ops(ab))
    np.testing.assert_allclose(dense, soft_encode(ab), rtol=0, atol=1e-5)
    # float32 distances: compare away from near-ties between the two nearest bins
    dist = k_nearest_bins(ab, 2)[1]
    clear = dist[:, 1] - dist[:, 0] > 1e-3
    hard = keras.ops.convert_to_numpy(quantize.nearest_bin_ops(ab))
    np.testing.assert_array_equal(hard[clear], nearest_bin(ab)[clear])


def test_soft_encode_nearest_ops_is_soft_encode_and_its_argmax(photo_ab):
    """The training targets take the rebalancing weight's bin from the soft encoding's top-k:
    the same encoding as soft_encode_ops, and the bin argmax(z) names, ties included."""
    keras = pytest.importorskip("keras")
    # real pixels, values on the bin centres and exact midpoints between bins (ties)
    ab = np.concatenate([photo_ab[:2000], quantize.ab_bins()[:40], quantize.ab_bins()[:40] + [5.0, 0.0],
                         [[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]]]).astype(np.float32)  # fmt: skip
    z, nearest = (keras.ops.convert_to_numpy(t) for t in quantize.soft_encode_nearest_ops(ab))
    np.testing.assert_array_equal(z, keras.ops.convert_to_numpy(quantize.soft_encode_ops(ab)))
    np.testing.assert_array_equal(nearest, np.argmax(z, axis=-1))


def test_the_in_graph_targets_search_per_cell_gives_the_same_bits_for_every_srgb_colour():
    """The training targets search only each grid cell's candidate bins: for the ab of every
    sRGB colour (an 18^3 lattice of the cube, and values on and near cell borders inside the
    gamut) the encoding and the nearest bin are those of the search over all 313 bins, bit for bit."""
    keras = pytest.importorskip("keras")
    from chroma_lab.color import rgb_to_lab_ops

    levels = np.arange(0, 256, 15, dtype=np.uint8)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    ab = keras.ops.convert_to_numpy(rgb_to_lab_ops(rgb))[:, 1:]
    border = np.array([[a, b] for a in range(-80, 91, 10) for b in range(-100, 91, 10)], dtype=np.float32)
    ab = np.concatenate([ab, border, border + 1e-5, border - 1e-5, border + [1e-5, -1e-5]]).astype(np.float32)
    fast_z, fast_nearest = (keras.ops.convert_to_numpy(t) for t in quantize._soft_encode_srgb_ops(ab))
    z, nearest = (keras.ops.convert_to_numpy(t) for t in quantize.soft_encode_nearest_ops(ab))
    np.testing.assert_array_equal(fast_z, z)
    np.testing.assert_array_equal(fast_nearest, nearest)


# ----------------------------------------------------------------------------------------------
# Prior, rebalancing, annealed mean
# ----------------------------------------------------------------------------------------------
def test_rebalance_weights_on_the_imagenet_prior():
    prior = _shared("reference/prior_probs.npy")
    prior = prior / prior.sum()
    w = rebalance_weights(prior, 0.5)
    assert abs(w.min() - 0.0965) < 1e-3 and abs(w.max() - 6.1749) < 1e-3
    assert np.isclose(np.sum(prior * w), 1.0, atol=1e-12)
    mixed = 1 / (0.5 * prior + 0.5 / 313)
    np.testing.assert_allclose(w, mixed / np.sum(prior * mixed), rtol=1e-12)


def test_rebalance_weights_by_hand():
    prior = np.array([0.7, 0.2, 0.1, 0.0])
    np.testing.assert_allclose(rebalance_weights(prior, 1.0), 1.0)
    w = rebalance_weights(prior, 0.25)
    mixed = 1 / (0.75 * prior + 0.25 / 4)
    np.testing.assert_allclose(w, mixed / np.sum(prior * mixed))
    assert w[0] < w[1] < w[2] < w[3]  # rarer colours weigh more
    with pytest.raises(ValueError, match="lam must be a number >= 0.0 and <= 1.0, got 1.5"):
        rebalance_weights(prior, 1.5)
    with pytest.raises(ValueError, match="sum to 1"):
        rebalance_weights(np.array([0.5, 0.6]))


def test_class_prior_by_hand():
    ab = np.zeros((4, 5, 2))  # every pixel on the bin (0, 0)
    hist = class_prior(ab, sigma=None)
    np.testing.assert_array_equal(hist, np.eye(313)[_bin(0, 0)])
    smooth = class_prior(ab, sigma=5.0)
    assert np.isclose(smooth.sum(), 1.0)
    for neighbour in [(-10, 0), (10, 0), (0, -10), (0, 10)]:  # e^-2 relative weight at distance 10
        assert np.isclose(smooth[_bin(*neighbour)] / smooth[_bin(0, 0)], E2, rtol=1e-12)
    assert np.isclose(smooth[_bin(10, 10)] / smooth[_bin(0, 0)], np.exp(-4), rtol=1e-12)
    d2 = ((ab_bins() - [0, 0]) ** 2).sum(1)
    np.testing.assert_allclose(smooth, np.exp(-d2 / 50) / np.exp(-d2 / 50).sum(), atol=1e-15)


def test_class_prior_counts_nearest_bins():
    ab = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [52.0, -18.0]])
    hist = class_prior(ab, sigma=None)
    assert hist[_bin(0, 0)] == 0.75 and hist[_bin(50, -20)] == 0.25 and hist.sum() == 1


def test_annealed_mean_limits():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.full(313, 0.3), size=20)
    np.testing.assert_allclose(annealed_mean(probs, T=1.0), probs @ ab_bins(), atol=1e-9)
    mode = ab_bins()[probs.argmax(axis=1)]
    np.testing.assert_array_equal(annealed_mean(probs, T=0), mode)
    np.testing.assert_allclose(annealed_mean(probs, T=1e-3), mode, atol=1e-6)


def test_annealed_mean_two_bins_by_hand():
    bins = np.array([[0.0, 0.0], [10.0, 0.0]])
    probs = np.array([0.75, 0.25])
    np.testing.assert_allclose(annealed_mean(probs, T=1.0, bins=bins), [2.5, 0])
    # T = 0.5 squares the probabilities: 0.5625 and 0.0625, i.e. 0.9 and 0.1 after normalising
    np.testing.assert_allclose(annealed_mean(probs, T=0.5, bins=bins), [1.0, 0])


def test_annealed_mean_saturates_as_t_falls():
    probs = np.zeros(313)
    probs[_bin(60, 20)], probs[_bin(-60, 20)] = 0.6, 0.4  # bimodal, the mode more saturated
    temps = [1.0, 0.7, 0.5, 0.38, 0.2, 0.1, 0.01]
    chroma = [np.hypot(*annealed_mean(probs, T=t)) for t in temps]
    assert np.all(np.diff(chroma) > 0)
    assert np.isclose(chroma[0], np.hypot(12, 20)) and np.isclose(chroma[-1], np.hypot(60, 20))


def test_annealed_mean_ops_from_logits():
    keras = pytest.importorskip("keras")
    logits = np.random.default_rng(6).normal(0, 3, (4, 6, 313)).astype(np.float32)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    for T in (1.0, 0.38):
        out = keras.ops.convert_to_numpy(quantize.annealed_mean_ops(logits, T))
        np.testing.assert_allclose(out, annealed_mean(probs, T), atol=1e-3)
    out = keras.ops.convert_to_numpy(quantize.annealed_mean_ops(logits, 0))
    np.testing.assert_array_equal(out, annealed_mean(probs, 0))


# ----------------------------------------------------------------------------------------------
# Palettes
# ----------------------------------------------------------------------------------------------
FLAT = np.array([[200, 30, 40], [20, 160, 60], [40, 60, 220], [240, 230, 90]], dtype=np.uint8)


def _flat_image():
    """A 16x16 image of 4 flat colour blocks."""
    return np.repeat(np.repeat(FLAT.reshape(2, 2, 3), 8, axis=0), 8, axis=1)


def _noisy_image(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)


def test_kmeans_is_deterministic_for_a_seed():
    a = KMeansPalette(n_colors=6, random_state=3, n_init=1).fit(_noisy_image()).palette_
    b = KMeansPalette(n_colors=6, random_state=3, n_init=1).fit(_noisy_image()).palette_
    np.testing.assert_array_equal(a, b)
    assert a.shape == (6, 3)


def test_kmeans_finds_four_flat_colours_and_round_trips():
    palette = KMeansPalette(n_colors=4, random_state=0).fit(_flat_image())
    found = np.round(palette.palette_ * 255).astype(int)
    assert sorted(map(tuple, found)) == sorted(map(tuple, FLAT.astype(int)))
    indices = palette.encode(_flat_image())
    assert indices.shape == (16, 16) and indices.min() >= 0 and indices.max() <= 3
    np.testing.assert_array_equal(palette.decode(indices), _flat_image())
    np.testing.assert_array_equal(palette.quantize(_flat_image()), _flat_image())


def test_kmeans_in_ab_space_keeps_lightness():
    palette = KMeansPalette(n_colors=4, space="ab", random_state=0).fit(_flat_image())
    assert palette.palette_.shape == (4, 2)
    np.testing.assert_allclose(np.sort(palette.palette_, axis=0),
                               np.sort(rgb_to_lab(FLAT)[:, 1:], axis=0), atol=1e-9)  # fmt: skip
    out = palette.quantize(_flat_image())
    assert out.dtype == np.uint8
    assert np.abs(lightness(out) - lightness(_flat_image())).max() < 0.5  # uint8 rounding only
    noisy = _noisy_image(1)
    assert np.abs(lightness(palette.quantize(noisy)) - lightness(noisy)).mean() < 2.0


@pytest.mark.parametrize(
    "kwargs, match",
    [({"space": "hsv"}, "space must be one of 'rgb', 'ab', got 'hsv'"),
     ({"n_colors": 0}, "n_colors must be an int >= 1, got 0"),
     ({"n_samples": 0}, "n_samples must be an int >= 1, got 0")],
)  # fmt: skip
def test_kmeans_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KMeansPalette(**kwargs).fit(_flat_image())


def test_unfitted_palettes_refuse_to_encode():
    for palette in (KMeansPalette(), SOMPalette()):
        with pytest.raises(RuntimeError, match=r"not fitted yet: call fit\(images\) first"):
            palette.encode(_flat_image())


def test_som_is_deterministic_for_a_seed():
    a = SOMPalette(shape=(3, 3), n_iterations=500, random_state=1).fit(_noisy_image())
    b = SOMPalette(shape=(3, 3), n_iterations=500, random_state=1).fit(_noisy_image())
    np.testing.assert_array_equal(a.palette_, b.palette_)
    assert a.palette_.shape == (9, 2)
    indices = a.encode(_noisy_image(2))
    assert indices.shape == (32, 32) and indices.min() >= 0 and indices.max() <= 8
    with pytest.raises(ValueError, match="space must be one of"):
        SOMPalette(space="hsv").fit(_noisy_image())
