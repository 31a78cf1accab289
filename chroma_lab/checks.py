"""Exercise checkers: compare a student's function with the library's reference on small inputs.

Every checker prints one line, ``PASS: ...`` or ``FAIL: ... Hint: ...``, and returns True or False.
A checker never raises: a function that still raises ``NotImplementedError`` (an unsolved
exercise) gives ``FAIL: not implemented yet ...``, and any other exception is reported on the FAIL
line, so a notebook runs to its end whatever the student wrote.

The inputs are small, seeded and random, plus the edge cases a typical mistake gets wrong (the
knee of the sRGB curve, white, ties); the references are the library's own functions or a NumPy
re-derivation written here. Checkers are grouped by lesson.
"""

from __future__ import annotations

import numpy as np

from chroma_lab import color, quantize
from chroma_lab.data import extract_patches

# ----------------------------------------------------------------------------------------------
# Machinery
# ----------------------------------------------------------------------------------------------
class _Mismatch(Exception):
    """The student's answer is wrong; carries what went wrong and a hint for that mistake."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def _report(passed: bool, message: str, hint: str | None = None) -> bool:
    if not passed and hint:
        message = message.rstrip(". ") + ". Hint: " + hint
    line = f"PASS: {message}" if passed else f"FAIL: {message}"
    print(line, flush=True)
    return passed


def _run(name: str, attempt, hint: str) -> bool:
    """Run ``attempt()`` (returns the PASS message) and turn every outcome into one printed line."""
    try:
        message = attempt()
    except NotImplementedError:
        return _report(False, f"not implemented yet ({name}): replace the `raise NotImplementedError` "
                              "line with your code, run that cell, then this one.", hint)  # fmt: skip
    except _Mismatch as exc:
        return _report(False, f"{name}: {exc.message}", exc.hint or hint)
    except Exception as exc:  # noqa: BLE001 - a checker reports, it never raises
        return _report(False, f"{name} raised {type(exc).__name__}: {exc}", hint)
    return _report(True, message)


def _as_array(value, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _Mismatch(f"{what} returned {type(value).__name__}, which is not a numeric array ({exc})")


def _expect_close(got, want, what: str, inputs=None, atol: float = 1e-6, rtol: float = 0.0,
                  hint: str | None = None) -> None:  # fmt: skip
    """Raise _Mismatch unless ``got`` has ``want``'s shape and values (naming the worst input)."""
    got, want = _as_array(got, what), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise _Mismatch(f"{what} returned shape {got.shape}, expected {want.shape}", hint)
    if not np.all(np.isfinite(got)):
        raise _Mismatch(f"{what} returned NaN or infinite values", hint)
    err = np.abs(got - want) - rtol * np.abs(want)
    if np.all(err <= atol):
        return
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
    row = worst[:-1] if got.ndim > 1 else worst
    at = f" for input {np.round(np.asarray(inputs)[row], 4).tolist()}" if inputs is not None else ""
    if got.ndim > 1 and got.shape[-1] > 4:  # a long row (313 bins): show the worst entry only
        at, row = f"{at} at index {list(worst)}", worst
    raise _Mismatch(f"{what}{at} gave {np.round(got[row], 4).tolist()}, "
                    f"expected {np.round(want[row], 4).tolist()}", hint)  # fmt: skip


def _random_rgb(rng, n: int) -> np.ndarray:
    """n random float colours in 0..1 plus black, white, the primaries and a dark gray."""
    special = [[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0.02, 0.02, 0.02]]
    return np.concatenate([np.array(special, dtype=np.float64), rng.uniform(0, 1, (n, 3))])


# ----------------------------------------------------------------------------------------------
# Lesson 1: colour spaces
# ----------------------------------------------------------------------------------------------
def check_srgb_to_linear(fn, seed: int = 0) -> bool:
    """Check ``fn(c)``: gamma-encoded sRGB values in 0..1 (any shape) -> linear light, same shape."""
    hint = ("the sRGB curve has two pieces: c / 12.92 for c <= 0.04045, "
            "((c + 0.055) / 1.055) ** 2.4 above; use np.where to pick one per value.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        c = np.concatenate([[0.0, 0.01, 0.04045, 0.05, 0.5, 1.0], rng.uniform(0, 1, 24)])
        got = _as_array(fn(c.copy()), "srgb_to_linear(c)")
        if got.shape == c.shape and np.allclose(got, c**2.2, atol=1e-3):
            raise _Mismatch("you used the power 2.2 everywhere", hint)
        _expect_close(got, color.srgb_to_linear(c), "srgb_to_linear(c)", c, atol=1e-5, hint=hint)
        grid = c[:12].reshape(2, 2, 3)
        _expect_close(fn(grid.copy()), color.srgb_to_linear(grid), "srgb_to_linear on a (2, 2, 3) image",
                      atol=1e-5, hint="work element by element so any shape is kept.")  # fmt: skip
        return f"srgb_to_linear matches chroma_lab.color.srgb_to_linear on {c.size} values, knee included."

    return _run("srgb_to_linear", attempt, hint)


def check_rgb_to_xyz(fn, seed: int = 0) -> bool:
    """Check ``fn(rgb)``: float sRGB (..., 3) in 0..1 -> CIE XYZ (D65), same shape."""
    hint = ("linearise with chroma_lab.color.srgb_to_linear, then multiply by the matrix: "
            "xyz = linear @ chroma_lab.color.XYZ_FROM_RGB.T (each row of the matrix gives X, Y or Z).")  # fmt: skip

    def attempt():
        rgb = _random_rgb(np.random.default_rng(seed), 20)
        got = _as_array(fn(rgb.copy()), "rgb_to_xyz(rgb)")
        if got.shape == rgb.shape and np.allclose(got, rgb @ color.XYZ_FROM_RGB.T, atol=1e-4):
            raise _Mismatch("you skipped the sRGB decoding: the matrix acts on linear light", hint)
        if got.shape == rgb.shape and np.allclose(got, color.srgb_to_linear(rgb) @ color.XYZ_FROM_RGB,
                                                  atol=1e-4):  # fmt: skip
            raise _Mismatch("you multiplied by the transposed matrix", hint)
        _expect_close(got, color.rgb_to_xyz(rgb), "rgb_to_xyz(rgb)", rgb, atol=1e-3, hint=hint)
        image = rgb[:12].reshape(2, 2, 3, 3)
        _expect_close(fn(image.copy()), color.rgb_to_xyz(image), "rgb_to_xyz on a (2, 2, 3, 3) array",
                      atol=1e-3, hint="use the last axis for the channels (the @ operator does).")  # fmt: skip
        return "rgb_to_xyz matches chroma_lab.color.rgb_to_xyz; white gives the D65 white point."

    return _run("rgb_to_xyz", attempt, hint)


def check_xyz_to_lab(fn, seed: int = 0) -> bool:
    """Check ``fn(xyz)``: CIE XYZ (..., 3) -> CIE Lab (..., 3), D65 white."""
    hint = ("t = xyz / D65_WHITE; f(t) = t ** (1/3) above 0.008856, 7.787 * t + 16/116 below; "
            "L = 116 f(Y) - 16, a = 500 (f(X) - f(Y)), b = 200 (f(Y) - f(Z)).")  # fmt: skip

    def attempt():
        xyz = color.rgb_to_xyz(_random_rgb(np.random.default_rng(seed), 20))
        got = _as_array(fn(xyz.copy()), "xyz_to_lab(xyz)")
        no_white = color.xyz_to_lab(xyz * color.D65_WHITE)
        if got.shape == xyz.shape and np.allclose(got, no_white, atol=1e-2):
            raise _Mismatch("white (0.95047, 1, 1.08883) does not give a = b = 0", 
                            "divide X, Y, Z by chroma_lab.color.D65_WHITE before applying f.")
        _expect_close(got, color.xyz_to_lab(xyz), "xyz_to_lab(xyz)", xyz, atol=1e-2, hint=hint)
        return "xyz_to_lab matches chroma_lab.color.xyz_to_lab, dark colours (linear part of f) included."

    return _run("xyz_to_lab", attempt, hint)


def check_rgb_to_lab(fn, seed: int = 0) -> bool:
    """Check ``fn(rgb)``: float sRGB (..., 3) in 0..1 -> CIE Lab, against chroma_lab and scikit-image."""
    hint = "chain the two steps: xyz_to_lab(rgb_to_xyz(rgb)); L of white is 100, of black 0."

    def attempt():
        rgb = _random_rgb(np.random.default_rng(seed), 20)
        _expect_close(fn(rgb.copy()), color.rgb_to_lab(rgb), "rgb_to_lab(rgb)", rgb, atol=1e-2, hint=hint)
        return "rgb_to_lab matches chroma_lab.color.rgb_to_lab (which matches skimage.color.rgb2lab)."

    return _run("rgb_to_lab", attempt, hint)


_GRAY_HINTS = {
    "cie": "linearise, take the luminance Y = linear @ XYZ_FROM_RGB[1], encode it back with "
           "chroma_lab.color.linear_to_srgb, then scale to 0..255.",
    "rec601": "gray = 0.299 R + 0.587 G + 0.114 B on the gamma-encoded 0..255 values.",
    "report": "gray = 0.21 R + 0.72 G + 0.07 B (the report prints 0.007 for blue, a typo).",
}  # fmt: skip


def check_gray(fn, method: str = "cie", seed: int = 0) -> bool:
    """Check ``fn(rgb)``: uint8 RGB (..., 3) -> gray 0..255 (..., ) with one luminance formula.

    Parameters
    ----------
    fn : callable
    method : {"cie", "rec601", "report"}
        The formula ``fn`` implements, as in :func:`chroma_lab.color.rgb_to_gray`.
    """
    name = f"gray ({method!r})"

    def attempt():
        if method not in color.GRAY_METHODS:
            raise _Mismatch(f"method must be one of {color.GRAY_METHODS}, got {method!r}",
                            "pass the name of the formula your function implements.")  # fmt: skip
        rgb = np.round(_random_rgb(np.random.default_rng(seed), 30) * 255).astype(np.uint8)
        got = _as_array(fn(rgb.copy()), f"gray(rgb) for {method!r}")
        want = color.rgb_to_gray(rgb, method).astype(np.float64)
        # the scale first: on the 0..1 scale white is 1, which the white test below would
        # misreport as weights that do not sum to 1
        if got.shape == want.shape and got.max() <= 1.0 < want.max():
            raise _Mismatch("your values lie in 0..1", "return gray levels on the 0..255 scale.")
        if got.shape == want.shape and got.size > 1 and abs(got[1] - want[1]) > 1.5:
            raise _Mismatch(f"white (255, 255, 255) gave {got[1]:.1f}, not 255: white is no longer white",
                            "the three weights must sum to 1. " + _GRAY_HINTS[method])  # fmt: skip
        # 1 gray level of slack: rounding (or not) to whole levels is both fine
        _expect_close(got, want, f"gray(rgb) for {method!r}", rgb, atol=1.0, hint=_GRAY_HINTS[method])
        return f"the {method!r} gray matches chroma_lab.color.rgb_to_gray(rgb, {method!r}) to 1 level."

    return _run(name, attempt, _GRAY_HINTS.get(method, ""))


# ----------------------------------------------------------------------------------------------
# Lesson 2: K-means palettes and the lookup colorizer
# ----------------------------------------------------------------------------------------------
def _inertia(pixels: np.ndarray, centres: np.ndarray) -> float:
    return float(((pixels[:, None, :] - centres[None]) ** 2).sum(-1).min(1).sum())


def check_palette_fit(fn, seed: int = 0) -> bool:
    """Check ``fn(pixels, n_colors, random_state)``: float RGB (N, 3) -> palette (n_colors, 3).

    Passes when the palette finds four well separated colour blobs, and when on uniform random
    pixels its quantisation error is within 10 % of scikit-learn K-means with 4 restarts.
    """
    hint = ("sklearn.cluster.KMeans(n_clusters=n_colors, n_init=4, random_state=random_state)"
            ".fit(pixels).cluster_centers_")  # fmt: skip

    def attempt():
        from sklearn.cluster import KMeans

        rng = np.random.default_rng(seed)
        blobs = np.array([[0.9, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.3, 0.9], [0.95, 0.9, 0.3]])
        pixels = np.concatenate([b + rng.normal(0, 0.02, (50, 3)) for b in blobs])
        got = _as_array(fn(pixels.copy(), 4, 0), "fit_palette(pixels, 4, 0)")
        if got.shape != (4, 3):
            raise _Mismatch(f"fit_palette(pixels, 4, 0) returned shape {got.shape}, expected (4, 3): "
                            "one RGB centre per colour", hint)  # fmt: skip
        means = np.stack([pixels[i * 50 : (i + 1) * 50].mean(0) for i in range(4)])
        order = np.lexsort(got.T[::-1])
        _expect_close(got[order], means[np.lexsort(means.T[::-1])], "the centres of 4 colour blobs",
                      atol=0.02, hint="each centre should be the mean of its blob; " + hint)  # fmt: skip
        uniform = rng.uniform(0, 1, (1500, 3))
        mine = _as_array(fn(uniform.copy(), 8, 0), "fit_palette(pixels, 8, 0)")
        if mine.shape != (8, 3):
            raise _Mismatch(f"fit_palette(pixels, 8, 0) returned shape {mine.shape}, expected (8, 3)", hint)
        reference = KMeans(8, n_init=4, random_state=0).fit(uniform).cluster_centers_
        ratio = _inertia(uniform, mine) / _inertia(uniform, reference)
        if ratio > 1.1:
            raise _Mismatch(f"on random pixels your 8 colours leave {ratio:.2f}x the squared error of "
                            "K-means", hint)  # fmt: skip
        return "fit_palette finds 4 colour blobs and matches K-means' error on random pixels."

    return _run("fit_palette", attempt, hint)


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """NumPy re-derivation of nearest-centre encoding (first centre wins a tie)."""
    flat = points.reshape(-1, points.shape[-1])
    d2 = ((flat[:, None, :] - centres[None]) ** 2).sum(-1)
    return d2.argmin(1).reshape(points.shape[:-1])


def _check_indices(got, want, what: str, hint: str) -> None:
    got = np.asarray(got)
    if got.shape != want.shape:
        raise _Mismatch(f"{what} returned shape {got.shape}, expected {want.shape}", hint)
    if got.dtype.kind not in "iu":
        raise _Mismatch(f"{what} returned dtype {got.dtype}, expected integer class indices",
                        "argmin returns integers; do not divide or scale the indices.")  # fmt: skip
    wrong = np.argwhere(got != want)
    if len(wrong):
        first = tuple(int(i) for i in wrong[0])
        raise _Mismatch(f"{what}: {len(wrong)} of {want.size} indices differ, e.g. at {list(first)} "
                        f"got {got[first]}, expected {want[first]}", hint)  # fmt: skip


def check_encode(fn, seed: int = 0) -> bool:
    """Check ``fn(pixels, palette)``: colours (..., 3) -> index of the nearest palette colour (...,)."""
    hint = ("squared distances to every palette colour, d2 = ((pixels[..., None, :] - palette) ** 2)"
            ".sum(-1), then d2.argmin(-1).")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        palette = rng.uniform(0, 1, (6, 3))
        pixels = np.concatenate([rng.uniform(0, 1, (24, 3)), palette]).reshape(2, 15, 3)
        _check_indices(fn(pixels.copy(), palette.copy()), _nearest(pixels, palette),
                       "encode(pixels, palette)", hint)  # fmt: skip
        return "encode gives every pixel the index of its nearest palette colour."

    return _run("encode", attempt, hint)


def check_decode(fn, seed: int = 0) -> bool:
    """Check ``fn(indices, palette)``: class indices (...,) -> palette colours (..., 3)."""
    hint = "NumPy fancy indexing does it in one step: palette[indices]."

    def attempt():
        rng = np.random.default_rng(seed)
        palette = rng.uniform(0, 1, (6, 3))
        indices = rng.integers(0, 6, (3, 4))
        _expect_close(fn(indices.copy(), palette.copy()), palette[indices], "decode(indices, palette)",
                      atol=1e-9, hint=hint)  # fmt: skip
        return "decode turns a label map back into colours."

    return _run("decode", attempt, hint)


def check_encode_decode(encode, decode, seed: int = 0) -> bool:
    """Check an ``encode``/``decode`` pair (see :func:`check_encode`): both right, and decoding the
    encoding of a palette colour gives it back."""
    hint = "encode is a nearest-colour argmin, decode is palette[indices]."

    def attempt():
        rng = np.random.default_rng(seed)
        palette = rng.uniform(0, 1, (8, 3))
        pixels = rng.uniform(0, 1, (5, 7, 3))
        _check_indices(encode(pixels, palette), _nearest(pixels, palette), "encode(pixels, palette)", hint)
        _expect_close(decode(encode(palette, palette), palette), palette, "decode(encode(palette))",
                      atol=1e-9, hint=hint)  # fmt: skip
        return "encode and decode agree: decode(encode(palette)) gives the palette back."

    return _run("encode/decode", attempt, hint)


def lookup_table_reference(gray, classes, n_classes: int, levels: int = 256) -> np.ndarray:
    """For each gray level, the most frequent class among its pixels (NumPy re-derivation).

    Ties go to the lower class index; a level with no pixels takes the class of the nearest level
    that has some (the lower level on a tie), so every gray level gets an answer.

    Parameters
    ----------
    gray : ndarray of shape (...), int in 0..levels-1
    classes : ndarray of the same shape, int in 0..n_classes-1
    n_classes, levels : int

    Returns
    -------
    ndarray of shape (levels,), int
    """
    gray, classes = np.asarray(gray).ravel(), np.asarray(classes).ravel()
    counts = np.zeros((levels, n_classes), dtype=np.int64)
    np.add.at(counts, (gray, classes), 1)
    table = counts.argmax(axis=1)
    seen = np.flatnonzero(counts.sum(axis=1) > 0)
    # distance from every level to every seen level; argmin picks the lower level on a tie
    nearest_seen = seen[np.abs(np.arange(levels)[:, None] - seen[None, :]).argmin(axis=1)]
    return table[nearest_seen]


def check_lookup_colorizer(fn, seed: int = 0) -> bool:
    """Check ``fn(gray, classes, n_classes)`` -> (256,) table: the most frequent class per gray level.

    ``gray`` and ``classes`` are int arrays of the same shape (gray levels 0..255 and palette
    indices). Ties go to the lower class; an unseen level copies the nearest seen level (the lower
    one on a tie) -- see :func:`lookup_table_reference`.
    """
    hint = ("count with a (256, n_classes) array: np.add.at(counts, (gray.ravel(), classes.ravel()), 1), "
            "then counts.argmax(axis=1); fill unseen levels from the nearest seen level.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        gray = rng.integers(0, 256, (6, 40))
        classes = (gray // 32 + (rng.random(gray.shape) < 0.3)) % 8  # mostly one class per band
        gray[0, :6], classes[0, :6] = 100, [2, 2, 5, 5, 7, 0]  # a tie at level 100: class 2 wins
        gray[gray == 200] = 199  # level 200 unseen: copy 199 (or 201)
        table = fn(gray.copy(), classes.copy(), 8)
        want = lookup_table_reference(gray, classes, 8)
        seen = np.zeros(256, bool)
        seen[np.unique(gray)] = True
        got = np.asarray(table)
        if got.shape == want.shape and np.array_equal(got[seen], want[seen]) and not np.array_equal(got, want):
            raise _Mismatch("the seen levels are right but the unseen ones are not",
                            "give a level with no pixels the class of the nearest level that has some.")
        _check_indices(table, want, "lookup_table(gray, classes, 8)", hint)
        return "lookup_table picks the most frequent class of every gray level, ties and gaps included."

    return _run("lookup_table", attempt, hint)


# ----------------------------------------------------------------------------------------------
# Lesson 3: SOM colour classes and a patch MLP
# ----------------------------------------------------------------------------------------------
def check_extract_patches(fn, seed: int = 0) -> bool:
    """Check ``fn(gray, patch_size)``: (H, W) -> (H * W, patch_size ** 2) patches, reflect padding."""
    hint = ("pad with np.pad(gray, patch_size // 2, mode='reflect'); the patch of pixel (r, c) is "
            "padded[r:r + patch_size, c:c + patch_size].ravel(), pixels in raster order.")  # fmt: skip

    def attempt():
        gray = np.random.default_rng(seed).integers(0, 256, (5, 6)).astype(np.uint8)
        for p in (3, 5):
            got = _as_array(fn(gray.copy(), p), f"extract_patches(gray, {p})")
            want = extract_patches(gray, p).astype(np.float64)
            if got.shape == want.shape and not np.array_equal(got, want):
                inner = np.zeros(gray.shape, bool)
                inner[p // 2 : -(p // 2), p // 2 : -(p // 2)] = True
                if np.array_equal(got[inner.ravel()], want[inner.ravel()]):
                    raise _Mismatch(f"with patch_size={p} the inner pixels are right, the border ones are not",
                                    "reflect the image at its border: np.pad(..., mode='reflect').")
            _expect_close(got, want, f"extract_patches(gray, {p})", atol=0, hint=hint)
        return "extract_patches matches chroma_lab.data.extract_patches for 3x3 and 5x5, borders included."

    return _run("extract_patches", attempt, hint)


def check_som_classes(fn, seed: int = 0) -> bool:
    """Check ``fn(ab, weights)``: ab (..., 2), SOM cell colours (k, 2) -> nearest cell index (...,)."""
    hint = "the class of a pixel is its best-matching unit: argmin over cells of the squared ab distance."

    def attempt():
        rng = np.random.default_rng(seed)
        weights = rng.uniform(-60, 60, (9, 2))
        ab = np.concatenate([rng.uniform(-80, 80, (30, 2)), weights]).reshape(3, 13, 2)
        _check_indices(fn(ab.copy(), weights.copy()), _nearest(ab, weights), "som_classes(ab, weights)", hint)
        return "som_classes gives every pixel its best-matching SOM cell."

    return _run("som_classes", attempt, hint)


def check_patch_mlp(fn, seed: int = 0) -> bool:
    """Check ``fn(X, y, hidden_layer_sizes, random_state)`` -> a fitted classifier with ``predict``.

    Trained on 600 random 5x5 patches whose class depends on the centre pixel and the one above
    it, it must reach 85 % accuracy on 300 new patches, and give the same model for the same seed.
    """
    hint = ("return sklearn.neural_network.MLPClassifier(hidden_layer_sizes=hidden_layer_sizes, "
            "max_iter=300, random_state=random_state).fit(X, y)")  # fmt: skip

    def attempt():
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        # a student's MLP that stops at max_iter still passes if it is accurate: no warning noise
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        rng = np.random.default_rng(seed)
        X = rng.uniform(0, 1, (900, 25))
        # 6 classes: the centre pixel's level (dark, mid, light) and whether the pixel above it
        # is dark or light, with a margin between levels so 600 examples are enough
        centre, above = rng.integers(0, 3, 900), rng.integers(0, 2, 900)
        X[:, 12] = np.array([0.15, 0.5, 0.85])[centre] + rng.normal(0, 0.04, 900)
        X[:, 7] = np.array([0.25, 0.75])[above] + rng.normal(0, 0.04, 900)
        y = centre + 3 * above
        model = fn(X[:600], y[:600], (32,), 0)
        if not hasattr(model, "predict"):
            raise _Mismatch(f"train_mlp returned {type(model).__name__}, not a fitted model with predict()", hint)
        pred = np.asarray(model.predict(X[600:]))
        if pred.shape != (300,):
            raise _Mismatch(f"model.predict(X) returned shape {pred.shape}, expected (300,)", hint)
        accuracy = float((pred == y[600:]).mean())
        if accuracy < 0.85:
            raise _Mismatch(f"held-out accuracy {accuracy:.0%} < 85 %", hint)
        again = np.asarray(fn(X[:600], y[:600], (32,), 0).predict(X[600:]))
        if not np.array_equal(pred, again):
            raise _Mismatch("two runs with random_state=0 disagree", "pass random_state to the MLP.")
        return f"train_mlp learns the patch classes ({accuracy:.0%} held-out accuracy), reproducibly."

    return _run("train_mlp", attempt, hint)


# ----------------------------------------------------------------------------------------------
# Lesson 4: one-hot targets and losses
# ----------------------------------------------------------------------------------------------
def check_onehot(fn, seed: int = 0) -> bool:
    """Check ``fn(labels, n_classes)``: int labels (...,) -> one-hot floats (..., n_classes)."""
    hint = "np.eye(n_classes)[labels] puts a 1 at each label's column and keeps the leading shape."

    def attempt():
        rng = np.random.default_rng(seed)
        for labels, n in ((np.array([0, 3, 1, 3]), 4), (rng.integers(0, 32, (2, 3, 5)), 32)):
            _expect_close(fn(labels.copy(), n), np.eye(n)[labels], f"onehot(labels of shape {labels.shape}, {n})",
                          atol=0, hint=hint)  # fmt: skip
        return "onehot encodes labels of any shape."

    return _run("onehot", attempt, hint)


def crossentropy_reference(probs, targets) -> float:
    """Mean over pixels of -sum_q targets_q log probs_q (NumPy re-derivation)."""
    return float(np.mean(-np.sum(np.asarray(targets) * np.log(np.asarray(probs)), axis=-1)))


def check_crossentropy(fn, seed: int = 0) -> bool:
    """Check ``fn(probs, targets)``: (..., K) probabilities and targets -> mean cross-entropy (float).

    Targets are one-hot, then soft (as in Zhang et al.'s soft-encoding), so the sum over classes
    must weigh every class, not only the argmax.
    """
    hint = "-(targets * np.log(probs)).sum(axis=-1).mean(): sum over classes, mean over pixels."

    def attempt():
        rng = np.random.default_rng(seed)
        logits = rng.normal(0, 2, (3, 4, 6))
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        onehot = np.eye(6)[rng.integers(0, 6, (3, 4))]
        soft = rng.dirichlet(np.ones(6), (3, 4))
        for targets, kind in ((onehot, "one-hot"), (soft, "soft")):
            got = _as_array(fn(probs.copy(), targets.copy()), f"crossentropy(probs, {kind} targets)")
            if got.size != 1:
                raise _Mismatch(f"crossentropy returned shape {got.shape}, expected one number (the mean)", hint)
            want = crossentropy_reference(probs, targets)
            if kind == "one-hot" and np.isclose(got, want / 6, rtol=1e-6):
                raise _Mismatch("you averaged over the classes too", hint)
            _expect_close(got.reshape(()), want, f"crossentropy(probs, {kind} targets)", rtol=1e-6, hint=hint)
        return "crossentropy matches the NumPy re-derivation for one-hot and soft targets."

    return _run("crossentropy", attempt, hint)


def check_index_losses(fn) -> bool:
    """Check ``fn(true_class, predicted_class, n_classes, confidence)`` -> ``(l1, ce)``.

    ``l1`` is the report's loss on class indices, |true - predicted|; ``ce`` is the one-hot
    cross-entropy when the model puts ``confidence`` on ``predicted_class`` and spreads the rest
    evenly over the other ``n_classes - 1`` classes.
    """
    hint = ("l1 = abs(true_class - predicted_class); the true class gets probability "
            "(1 - confidence) / (n_classes - 1), so ce = -log of that.")  # fmt: skip

    def attempt():
        for true, pred in ((3, 7), (3, 30), (0, 31), (12, 11)):
            got = np.asarray(fn(true, pred, 32, 0.9), dtype=np.float64)
            want = [abs(true - pred), -np.log(0.1 / 31)]
            _expect_close(got, want, f"index_losses({true}, {pred}, 32, 0.9)", atol=1e-6, hint=hint)
        return ("index_losses: L1 on indices charges 27 for 3 -> 30 but 4 for 3 -> 7; cross-entropy "
                f"charges both {-np.log(0.1 / 31):.2f}, since class numbers carry no order.")

    return _run("index_losses", attempt, hint)


# ----------------------------------------------------------------------------------------------
# Lesson 5: Zhang et al. 2016 (soft-encoding, rebalancing, annealed mean), against quantize.py
# ----------------------------------------------------------------------------------------------
def check_soft_encode(fn, seed: int = 0) -> bool:
    """Check ``fn(ab, k=5, sigma=5.0)``: ab (..., 2) -> weights over the 313 bins (..., 313)."""
    hint = ("distances to all of quantize.ab_bins(); keep the k nearest, weigh them "
            "exp(-d**2 / (2 * sigma**2)), divide by their sum, zeros elsewhere.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        ab = np.concatenate([rng.uniform(-80, 80, (10, 2)), quantize.ab_bins()[[0, 150]]]).reshape(2, 6, 2)
        for k, sigma in ((5, 5.0), (3, 10.0)):
            got = _as_array(fn(ab.copy(), k=k, sigma=sigma), f"soft_encode(ab, k={k}, sigma={sigma})")
            _expect_close(got, quantize.soft_encode(ab, k, sigma), f"soft_encode(ab, k={k}, sigma={sigma})",
                          atol=1e-5, hint=hint)  # fmt: skip
        return "soft_encode matches chroma_lab.quantize.soft_encode for k=5, sigma=5 and k=3, sigma=10."

    return _run("soft_encode", attempt, hint)


def check_rebalance_weights(fn, seed: int = 0) -> bool:
    """Check ``fn(prior, lam=0.5)``: bin probabilities (Q,) -> rebalancing weights (Q,)."""
    hint = ("w = 1 / ((1 - lam) * prior + lam / Q), then divide by sum(prior * w) so that a pixel "
            "weighs 1 on average.")  # fmt: skip

    def attempt():
        prior = np.random.default_rng(seed).dirichlet(np.full(quantize.N_BINS, 0.3))
        for lam in (0.5, 0.2, 1.0):
            _expect_close(fn(prior.copy(), lam=lam), quantize.rebalance_weights(prior, lam),
                          f"rebalance_weights(prior, lam={lam})", rtol=1e-6, atol=1e-9, hint=hint)  # fmt: skip
        return "rebalance_weights matches chroma_lab.quantize.rebalance_weights for lam = 0.5, 0.2, 1."

    return _run("rebalance_weights", attempt, hint)


def check_annealed_mean(fn, seed: int = 0) -> bool:
    """Check ``fn(probs, T=0.38)``: distributions over the 313 bins (..., 313) -> ab (..., 2)."""
    hint = ("f = exp(log(probs) / T), normalised over the bins; the answer is f @ quantize.ab_bins(). "
            "Subtract the row maximum of log(probs) / T before exp to avoid overflow.")  # fmt: skip

    def attempt():
        logits = np.random.default_rng(seed).normal(0, 3, (2, 3, quantize.N_BINS))
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        for T in (1.0, 0.38, 0.1):
            _expect_close(fn(probs.copy(), T=T), quantize.annealed_mean(probs, T), f"annealed_mean(probs, T={T})",
                          atol=1e-4, hint=hint)  # fmt: skip
        return "annealed_mean matches chroma_lab.quantize.annealed_mean for T = 1, 0.38 and 0.1."

    return _run("annealed_mean", attempt, hint)


def rebalanced_crossentropy_reference(soft_targets, logits, weights) -> float:
    """Mean over pixels of w * (-sum_q z_q log softmax(logits)_q) (NumPy re-derivation, eq. 2).

    Parameters
    ----------
    soft_targets : array_like of shape (n, Q)
        Soft-encoded targets z (rows sum to 1).
    logits : array_like of shape (n, Q)
        The network's raw scores.
    weights : array_like of shape (n,)
        Rebalancing weight of each pixel.
    """
    z, x = np.asarray(soft_targets, dtype=np.float64), np.asarray(logits, dtype=np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)  # softmax is shift-invariant; exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(np.mean(np.asarray(weights, dtype=np.float64) * -np.sum(z * log_probs, axis=-1)))


def check_rebalanced_loss(fn, seed: int = 0) -> bool:
    """Check ``fn(soft_targets, logits, weights)``: (n, 313), (n, 313), (n,) -> one number.

    The number is the mean over the n pixels of weight times cross-entropy between the soft target
    and softmax(logits), Zhang et al.'s eq. 2 divided by the pixel count. Compared with
    :func:`rebalanced_crossentropy_reference`, on logits shifted by 1000 (a stable log-softmax
    gives the same answer), and with the library's Keras loss
    :func:`chroma_lab.losses.rebalanced_crossentropy` on targets and weights it built from a tiny
    RGB batch (one colour image, one gray image that the gray mask weighs 0).
    """
    hint = ("log_probs = logits - logsumexp(logits) per row (subtract the row maximum before exp); "
            "ce = -(soft_targets * log_probs).sum(axis=-1); return (weights * ce).mean().")  # fmt: skip

    def value(z, logits, w, what, nan_hint):
        got = _as_array(fn(z.copy(), logits.copy(), w.copy()), what)
        if got.size != 1:
            raise _Mismatch(f"{what} returned shape {got.shape}, expected one number (the mean over pixels)",
                            hint)  # fmt: skip
        if not np.isfinite(got.reshape(())):
            raise _Mismatch(f"{what} returned {got.reshape(())}", nan_hint + hint)
        return float(got.reshape(()))

    def attempt():
        rng = np.random.default_rng(seed)
        ab = color.rgb_to_lab(rng.uniform(0, 1, (40, 3)))[:, 1:]
        z = quantize.soft_encode(ab).astype(np.float64)
        w = quantize.rebalance_weights(quantize.class_prior(ab))[quantize.nearest_bin(ab)]
        logits = rng.normal(0, 3, (40, quantize.N_BINS))
        got = value(z, logits, w, "rebalanced_loss(soft_targets, logits, weights)",
                    "logits are raw scores, some negative: take the log of softmax(logits), not of the logits; ")
        ce = np.array([rebalanced_crossentropy_reference(z[i : i + 1], logits[i : i + 1], 1.0) for i in range(40)])
        want = rebalanced_crossentropy_reference(z, logits, w)
        mistakes = (
            (ce.mean(), "you left out the weights: every pixel counts the same, so the dull colours "
                        "win again"),
            (float((w * ce).sum() / w.sum()), "you divided by the sum of the weights; divide by the "
                                              "number of pixels (the weights already average 1)"),
            (float((w * ce).sum()), "you summed over the pixels; take the mean"),
            (float((w * ce).mean() / quantize.N_BINS), "you averaged over the 313 bins; sum over them"),
        )  # fmt: skip
        for wrong, message in mistakes:
            if not np.isclose(want, wrong, rtol=1e-4) and np.isclose(got, wrong, rtol=1e-6):
                raise _Mismatch(message, hint)
        _expect_close(got, want, "rebalanced_loss(soft_targets, logits, weights)", rtol=1e-5, hint=hint)
        shifted = value(z, logits + 1000.0, w, "rebalanced_loss with logits + 1000",
                        "exp(1000) overflows: subtract each row's maximum before exp; ")
        _expect_close(shifted, want, "rebalanced_loss with logits + 1000 (softmax ignores a shift)",
                      rtol=1e-5, hint="subtract each row's maximum before exp: " + hint)  # fmt: skip

        from keras.ops import convert_to_numpy  # Keras loads only once the NumPy answer is right

        from chroma_lab import losses

        rgb = rng.integers(0, 256, (2, 8, 8, 3)).astype(np.uint8)
        rgb[1] = rgb[1, ..., :1]  # a gray image: the mask weighs its pixels 0
        bin_weights = quantize.rebalance_weights(quantize.class_prior(color.rgb_to_lab(rgb[0])[..., 1:]))
        targets, pixel_weights = (convert_to_numpy(t).astype(np.float64)
                                  for t in losses.zhang_targets(rgb, bin_weights))  # fmt: skip
        net = rng.normal(0, 3, targets.shape)
        keras_loss = convert_to_numpy(losses.rebalanced_crossentropy(rgb, net.astype(np.float32), bin_weights))
        mine = value(targets.reshape(-1, quantize.N_BINS), net.reshape(-1, quantize.N_BINS),
                     pixel_weights.reshape(-1), "rebalanced_loss on chroma_lab.losses.zhang_targets", "")  # fmt: skip
        _expect_close(mine, keras_loss.mean(), "rebalanced_loss against chroma_lab.losses.rebalanced_crossentropy",
                      rtol=1e-4, hint=hint)  # fmt: skip
        return ("rebalanced_loss matches the NumPy re-derivation (also with logits + 1000) and "
                "chroma_lab.losses.rebalanced_crossentropy.")

    return _run("rebalanced_loss", attempt, hint)
