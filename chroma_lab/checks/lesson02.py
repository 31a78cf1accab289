"""Checkers of lesson 2: a K-means palette, encoding and decoding, the lookup table."""

from __future__ import annotations

import numpy as np

from chroma_lab.checks._core import Mismatch, as_array, expect_close, expect_indices, name_of, nearest, run


def _inertia(pixels: np.ndarray, centres: np.ndarray) -> float:
    return float(((pixels[:, None, :] - centres[None]) ** 2).sum(-1).min(1).sum())


def check_palette_fit(fn, seed: int = 0) -> bool:
    """Check ``fn(pixels, n_colors, random_state)``: float RGB (N, 3) -> palette (n_colors, 3).

    Passes when the palette finds four well separated colour blobs, and when on uniform random
    pixels its quantisation error is within 10 % of scikit-learn K-means with 4 restarts.
    """
    name = name_of(fn, "fit_palette")
    hint = ("the palette is the K-means cluster centres: ask for n_colors clusters, a few restarts, and "
            "pass the seed on.")  # fmt: skip

    def attempt():
        from sklearn.cluster import KMeans

        rng = np.random.default_rng(seed)
        blobs = np.array([[0.9, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.3, 0.9], [0.95, 0.9, 0.3]])
        pixels = np.concatenate([b + rng.normal(0, 0.02, (50, 3)) for b in blobs])
        got = as_array(fn(pixels.copy(), 4, 0), f"{name}(pixels, 4, 0)")
        if got.shape != (4, 3):
            raise Mismatch(f"{name}(pixels, 4, 0) returned shape {got.shape}, expected (4, 3): "
                           "one RGB centre per colour", hint)  # fmt: skip
        means = np.stack([pixels[i * 50 : (i + 1) * 50].mean(0) for i in range(4)])
        order = np.lexsort(got.T[::-1])
        expect_close(got[order], means[np.lexsort(means.T[::-1])], "the centres of 4 colour blobs",
                     atol=0.02, hint="each centre should be the mean of its blob; " + hint)  # fmt: skip
        uniform = rng.uniform(0, 1, (1500, 3))
        mine = as_array(fn(uniform.copy(), 8, 0), f"{name}(pixels, 8, 0)")
        if mine.shape != (8, 3):
            raise Mismatch(f"{name}(pixels, 8, 0) returned shape {mine.shape}, expected (8, 3)", hint)
        reference = KMeans(8, n_init=4, random_state=0).fit(uniform).cluster_centers_
        ratio = _inertia(uniform, mine) / _inertia(uniform, reference)
        if ratio > 1.1:
            raise Mismatch(f"on random pixels your 8 colours leave {ratio:.2f}x the squared error of "
                           "K-means", hint)  # fmt: skip
        return f"{name} finds 4 colour blobs and matches K-means' error on random pixels."

    return run(name, attempt, hint)


def check_encode(fn, seed: int = 0) -> bool:
    """Check ``fn(pixels, palette)``: colours (..., 3) -> index of the nearest palette colour (...,)."""
    name = name_of(fn, "encode")
    hint = "for every pixel, the distance to each palette colour, then the position of the smallest one."

    def attempt():
        rng = np.random.default_rng(seed)
        palette = rng.uniform(0, 1, (6, 3))
        pixels = np.concatenate([rng.uniform(0, 1, (24, 3)), palette]).reshape(2, 15, 3)
        expect_indices(fn(pixels.copy(), palette.copy()), nearest(pixels, palette), f"{name}(pixels, palette)", hint)
        return f"{name} gives every pixel the index of its nearest palette colour."

    return run(name, attempt, hint)


def check_decode(fn, seed: int = 0) -> bool:
    """Check ``fn(indices, palette)``: class indices (...,) -> palette colours (..., 3)."""
    name = name_of(fn, "decode")
    hint = ("each label is a row number of the palette; indexing an array with a whole array of labels "
            "looks them all up at once and keeps the labels' shape.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        palette = rng.uniform(0, 1, (6, 3))
        indices = rng.integers(0, 6, (3, 4))
        expect_close(fn(indices.copy(), palette.copy()), palette[indices], f"{name}(indices, palette)", hint=hint)
        return f"{name} turns a label map back into colours."

    return run(name, attempt, hint)


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
    name = name_of(fn, "lookup_table")
    hint = ("count how often each class occurs at each gray level, take the most frequent class of "
            "each level (the lower class on a tie), and give a level with no pixels the answer of the "
            "nearest level that has some.")  # fmt: skip

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
            raise Mismatch("the seen levels are right but the unseen ones are not",
                           "give a level with no pixels the class of the nearest level that has some.")
        expect_indices(table, want, f"{name}(gray, classes, 8)", hint)
        return f"{name} picks the most frequent class of every gray level, ties and gaps included."

    return run(name, attempt, hint)
