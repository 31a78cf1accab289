"""Exercise checkers of lesson 6 (Iizuka, Simo-Serra and Ishikawa 2016), against NumPy references.

Each prints one line, ``PASS: ...`` or ``FAIL: ... Hint: ...``, and returns True or False; it
never raises. An untouched exercise (still raising ``NotImplementedError``) gets ``FAIL: not
implemented yet`` without a hint, as in lessons 1-5; the machinery (:class:`Mismatch`,
:func:`run`, :func:`expect_close`) is :mod:`chroma_lab.checks._core`'s.
"""

from __future__ import annotations

import numpy as np

from chroma_lab.checks._core import Mismatch, expect_close, run
from chroma_lab.color import AB_SCALE


# ----------------------------------------------------------------------------------------------
# NumPy references
# ----------------------------------------------------------------------------------------------
def fuse_reference(mid, vector):
    """``[mid (n, h, w, C), vector (n, G)]`` -> (n, h, w, G + C): the vector first, at every position."""
    mid, vector = np.asarray(mid, np.float64), np.asarray(vector, np.float64)
    tiled = np.broadcast_to(vector[:, None, None, :], mid.shape[:3] + vector.shape[-1:])
    return np.concatenate([tiled, mid], axis=-1)


def resize_bilinear_reference(images, size):
    """(n, H, W) -> (n, size, size), bilinear with half-pixel centres (no antialiasing)."""
    images = np.asarray(images, np.float64)

    def axis_weights(n_in):
        src = np.clip((np.arange(size) + 0.5) * n_in / size - 0.5, 0, n_in - 1)
        low = np.floor(src).astype(int)
        high = np.minimum(low + 1, n_in - 1)
        return low, high, src - low

    (r0, r1, fr), (c0, c1, fc) = axis_weights(images.shape[1]), axis_weights(images.shape[2])
    rows = images[:, r0] * (1 - fr)[None, :, None] + images[:, r1] * fr[None, :, None]
    return rows[:, :, c0] * (1 - fc) + rows[:, :, c1] * fc


def iizuka_loss_reference(ab_pred, ab_true, logits, labels, alpha):
    """MSE of (ab / 110 + 1) / 2 over every element + alpha * mean cross-entropy of labelled images."""
    unit = lambda ab: (np.asarray(ab, np.float64) / AB_SCALE + 1) / 2  # noqa: E731
    mse = np.mean((unit(ab_pred) - unit(ab_true)) ** 2)
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels)
    keep = labels >= 0
    if not keep.any():
        return float(mse)
    z = logits[keep] - logits[keep].max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(mse + alpha * -log_p[np.arange(keep.sum()), labels[keep]].mean())


# ----------------------------------------------------------------------------------------------
# Checkers
# ----------------------------------------------------------------------------------------------
def check_fusion(fn, seed: int = 0) -> bool:
    """Check ``fn(mid, vector)``: (n, h, w, C) and (n, G) -> (n, h, w, G + C), the vector first."""
    hint = ("every position (u, v) of image i gets the same global vector of image i, put before "
            "its own mid-level features along the channel axis.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        for shape, g in (((2, 3, 4, 5), 3), ((1, 2, 7, 2), 6)):
            mid, vector = rng.normal(size=shape), rng.normal(size=(shape[0], g))
            got = fn(mid.copy(), vector.copy())
            got_arr = np.asarray(got, np.float64) if np.shape(got) == shape[:3] + (g + shape[3],) else None
            if got_arr is not None and np.allclose(got_arr, np.concatenate(
                    [mid, np.broadcast_to(vector[:, None, None], shape[:3] + (g,))], -1)[..., ::-1]):
                raise Mismatch("the channels come out reversed", hint)
            if got_arr is not None and np.allclose(got_arr[..., :shape[3]], mid):
                raise Mismatch("the mid-level features come first; the paper puts the global vector first", hint)
            expect_close(got, fuse_reference(mid, vector), f"fuse(mid {shape}, vector {vector.shape})", hint=hint)
        return "fuse tiles the global vector over the grid and puts it before the mid-level features."

    return run("fuse", attempt, hint)


def check_resize_for_global(fn, seed: int = 0) -> bool:
    """Check ``fn(images, size)``: (n, H, W) -> (n, size, size), bilinear, half-pixel centres."""
    hint = ("output pixel j sits at input coordinate (j + 0.5) * H / size - 0.5 (clipped to the "
            "image); blend the two nearest input rows, then the two nearest columns.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        for shape, size in (((2, 12, 20), 8), ((1, 5, 3), 8), ((1, 16, 16), 16)):
            images = rng.uniform(0, 100, shape)
            want = resize_bilinear_reference(images, size)
            got = fn(images.copy(), size)
            if shape[1] != size and np.shape(got) == want.shape and np.allclose(
                    np.asarray(got, np.float64), _align_corners(images, size), atol=1e-6):
                raise Mismatch("you aligned the corners (first pixel on first pixel, last on last)",
                               "pixels are little squares: output centre j maps to input coordinate "
                               "(j + 0.5) * H / size - 0.5, as in Keras, TensorFlow and PyTorch.")  # fmt: skip
            expect_close(got, want, f"resize_for_global(images {shape}, {size})", atol=1e-6, hint=hint)
        return "resize_for_global matches bilinear resizing, shrinking, enlarging and at the same size."

    return run("resize_for_global", attempt, hint)


def check_iizuka_loss(fn, seed: int = 0) -> bool:
    """Check ``fn(ab_pred, ab_true, logits, labels, alpha)`` -> the paper's loss (one number)."""
    hint = ("MSE between (ab / 110 + 1) / 2 of prediction and truth over every element, plus alpha "
            "times the cross-entropy averaged over the images whose label is not -1.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        ab_pred, ab_true = rng.uniform(-60, 60, (2, 3, 4, 4, 2))
        logits = rng.normal(0, 3, (3, 5))
        for labels, alpha in ((np.array([2, 0, 4]), 1 / 300), (np.array([1, -1, 3]), 0.5),
                              (np.array([-1, -1, -1]), 1.0)):  # fmt: skip
            got = fn(ab_pred.copy(), ab_true.copy(), logits.copy(), labels.copy(), alpha)
            want = iizuka_loss_reference(ab_pred, ab_true, logits, labels, alpha)
            value = np.asarray(got, np.float64)
            if value.size != 1:
                raise Mismatch(f"returned shape {value.shape}, expected one number", hint)
            value = float(value.reshape(()))
            lab_units = np.mean((ab_pred - ab_true) ** 2)
            if np.isclose(value, want - np.mean(((ab_pred - ab_true) / (2 * AB_SCALE)) ** 2) + lab_units):
                raise Mismatch("your MSE is in Lab units; the network's sigmoid lives in 0..1, (ab / 110 + 1) / 2",
                               hint)  # fmt: skip
            if (labels < 0).any() and (labels >= 0).any():
                everyone = iizuka_loss_reference(ab_pred, ab_true, logits, np.maximum(labels, 0), alpha)
                if np.isclose(value, everyone, rtol=1e-6):
                    raise Mismatch("the unlabelled images (label -1) counted in the cross-entropy", hint)
            expect_close(value, want, f"iizuka_loss(labels {labels.tolist()}, alpha {alpha:.4g})", hint=hint)
        # softmax ignores a shift of all logits; exp(1000) does not exist in floating point
        labels, alpha = np.array([2, 0, 4]), 0.5
        want = iizuka_loss_reference(ab_pred, ab_true, logits, labels, alpha)
        got = np.asarray(fn(ab_pred.copy(), ab_true.copy(), logits + 1000.0, labels.copy(), alpha), np.float64)
        if got.size == 1 and not np.isfinite(got.reshape(())):
            raise Mismatch(f"with logits + 1000 iizuka_loss returned {got.reshape(())}: exp(1000) overflows",
                           "subtract each image's largest logit before exp (softmax ignores the shift), "
                           "as in lesson 5's rebalanced loss; " + hint)  # fmt: skip
        expect_close(got, want, "iizuka_loss with logits + 1000 (softmax ignores a shift)", hint=hint)
        return "iizuka_loss matches the NumPy re-derivation, unlabelled images and all, also with logits + 1000."

    return run("iizuka_loss", attempt, hint)


def _align_corners(images, size):
    """The common mistake: bilinear with corners aligned (src = j (H - 1) / (size - 1))."""
    images = np.asarray(images, np.float64)

    def axis(n_in):
        src = np.arange(size) * (n_in - 1) / max(size - 1, 1)
        low = np.floor(src).astype(int)
        return low, np.minimum(low + 1, n_in - 1), src - low

    (r0, r1, fr), (c0, c1, fc) = axis(images.shape[1]), axis(images.shape[2])
    rows = images[:, r0] * (1 - fr)[None, :, None] + images[:, r1] * fr[None, :, None]
    return rows[:, :, c0] * (1 - fc) + rows[:, :, c1] * fc
