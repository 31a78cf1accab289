"""Preparing images for a model: Lab channels, gray inputs, patches, and train/test splits.

:func:`split_lab` and :func:`to_gray` give a colorizer's target and input; :func:`extract_patches`
and :func:`sample_pixels` feed per-pixel models (lesson 3); :func:`train_test_split_images` keeps
whole images on one side of a split.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from chroma_lab._checks import check_choice, check_int
from chroma_lab.color import rgb_to_gray, rgb_to_lab
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
from chroma_lab.quantize import bin_counts, prior_from_counts

PAD_MODES = ("reflect", "symmetric", "edge", "wrap", "constant")
# Images converted to Lab at a time by image_class_prior: the float64 intermediates of 256 images
# of 64x64 take about 120 MB, where 20,000 at once took 10 GB (benchmarks/README.md).
PRIOR_CHUNK = 256


def split_lab(images):
    """Split RGB images into the model's input (L*) and target (a*, b*).

    Parameters
    ----------
    images : ndarray of shape (..., H, W, 3), uint8 (or float in 0..1)

    Returns
    -------
    L : ndarray of shape (..., H, W), float64 in 0..100
    ab : ndarray of shape (..., H, W, 2), float64
    """
    lab = rgb_to_lab(_check_rgb_array(images, "images"))
    return lab[..., 0], lab[..., 1:]


def image_class_prior(batches, sigma: float | None = 5.0) -> np.ndarray:
    """:func:`chroma_lab.quantize.class_prior` of the ab channels of RGB images, a batch at a time.

    ``batches`` is an array of images (n, H, W, 3), converted ``PRIOR_CHUNK`` at a time, or an
    iterable of such arrays (a stream's batches). The bin counts are integers summed exactly, so
    the result is the prior of all the images at once, in the memory of one batch.
    """
    if isinstance(batches, np.ndarray):
        images = batches
        batches = (images[i : i + PRIOR_CHUNK] for i in range(0, len(images), PRIOR_CHUNK))
    counts = sum(bin_counts(split_lab(batch)[1]) for batch in batches)
    if not np.any(counts):
        raise ChromaLabError("image_class_prior: no images to estimate a prior from")
    return prior_from_counts(counts, sigma)


def to_gray(images) -> np.ndarray:
    """Gray versions of RGB images that keep each pixel's CIE lightness.

    A gray value v means the sRGB colour (v, v, v), whose L* equals the colour pixel's L*
    (up to rounding to 8 bits); see :func:`chroma_lab.color.rgb_to_gray` with ``method="cie"``.

    Parameters
    ----------
    images : ndarray of shape (..., H, W, 3), uint8

    Returns
    -------
    ndarray of shape (..., H, W), uint8
    """
    images = _check_rgb_array(images, "images")
    if images.dtype != np.uint8:
        raise ChromaLabTypeError(f"images must be uint8 RGB, got dtype {images.dtype}")
    return rgb_to_gray(images, method="cie")


def extract_patches(gray, patch_size: int, positions=None, pad_mode: str = "reflect"):
    """Square patches centred on pixels, flattened row by row: the input of a per-pixel model.

    Pixels near the border get a full patch by padding the image with ``np.pad(mode=pad_mode)``.

    Parameters
    ----------
    gray : ndarray of shape (H, W) or (n_images, H, W)
        One channel (gray, or L*), any numeric dtype.
    patch_size : int
        Odd side of the patch, so the pixel sits at its centre.
    positions : ndarray of shape (n, 2) or (n, 3), int, optional
        (row, col) of each centre, or (image, row, col) for a stack. None: every pixel, in raster
        order.
    pad_mode : {"reflect", "symmetric", "edge", "wrap", "constant"}

    Returns
    -------
    ndarray of shape (n, patch_size * patch_size), dtype of ``gray``
    """
    gray = np.asarray(gray)
    if gray.ndim not in (2, 3):
        raise ChromaLabError(f"gray must have shape (H, W) or (n_images, H, W), got {gray.shape}")
    patch_size = check_int(patch_size, "patch_size", 1)
    if patch_size % 2 == 0:
        raise ChromaLabError(f"patch_size must be odd so a pixel sits at the centre, got {patch_size}")
    check_choice(pad_mode, "pad_mode", PAD_MODES)
    stack = gray if gray.ndim == 3 else gray[None]
    if positions is None:
        positions = np.indices(stack.shape).reshape(3, -1).T
    else:
        positions = np.asarray(positions)
        is_int = positions.dtype.kind in "iu"
        if not is_int or positions.ndim != 2 or positions.shape[1] != gray.ndim:
            raise ChromaLabError(f"positions must be an int array of shape (n, {gray.ndim}) for gray "
                                 f"of shape {gray.shape}, got {positions.dtype} {positions.shape}")
        if gray.ndim == 2:
            positions = np.column_stack([np.zeros(len(positions), dtype=int), positions])
        if (positions < 0).any() or (positions >= np.array(stack.shape)).any():
            raise ChromaLabError(f"positions must lie inside the image(s) of shape {gray.shape}")
    half = patch_size // 2
    padded = np.pad(stack, ((0, 0), (half, half), (half, half)), mode=pad_mode)
    # A view, not a copy: windows[k, r, c] is the patch centred on the original pixel (k, r, c).
    windows = sliding_window_view(padded, (patch_size, patch_size), axis=(1, 2))
    patches = windows[positions[:, 0], positions[:, 1], positions[:, 2]]
    return patches.reshape(len(positions), patch_size * patch_size)


def sample_pixels(shape, n: int, random_state=0) -> np.ndarray:
    """Draw ``n`` distinct pixel positions uniformly, for :func:`extract_patches`.

    Parameters
    ----------
    shape : tuple (H, W) or (n_images, H, W)
    n : int
        Number of positions, at most the number of pixels.
    random_state : int

    Returns
    -------
    ndarray of shape (n, len(shape)), int64
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ChromaLabError(f"shape must be (H, W) or (n_images, H, W) of positive ints, got {shape}")
    total = math.prod(shape)
    n = check_int(n, "n", 0, total)
    flat = np.random.default_rng(random_state).choice(total, size=n, replace=False)
    return np.column_stack(np.unravel_index(flat, shape)).astype(np.int64)


def train_test_split_images(images, labels=None, test_size=0.2, random_state=0, stratify=None):
    """Split a dataset by whole images, never by pixel, so no test pixel's neighbours leak.

    scikit-learn's :func:`~sklearn.model_selection.train_test_split` on the image indices; each
    part keeps the images in their original order.

    Parameters
    ----------
    images : ndarray of shape (n, ...) or list of n arrays
    labels : array_like of shape (n,), optional
    test_size : float in (0, 1) or int
        Fraction or number of images in the test part (a fraction is rounded up).
    random_state : int
        Seed of the shuffle.
    stratify : array_like of shape (n,), optional
        Class of each image (for example ``labels``): both parts then hold the classes in the
        same proportions.

    Returns
    -------
    images_train, images_test : same type as ``images``
    labels_train, labels_test : only when ``labels`` is given
    """
    from sklearn.model_selection import train_test_split

    n = _count_images(images, "images")
    for name, values in (("labels", labels), ("stratify", stratify)):
        if values is not None and len(values) != n:
            raise ChromaLabError(f"{name} has {len(values)} entries but images has {n} images")
    train_idx, test_idx = train_test_split(np.arange(n), test_size=test_size,
                                           random_state=random_state, stratify=stratify)  # fmt: skip
    train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)
    parts = [_take(images, train_idx), _take(images, test_idx)]
    if labels is not None:
        parts += [_take(labels, train_idx), _take(labels, test_idx)]
    return tuple(parts)


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
def _check_rgb_array(images, name: str) -> np.ndarray:
    if isinstance(images, (list, tuple)):
        raise ChromaLabTypeError(f"{name} must be one array of shape (n, H, W, 3); images of different "
                                 "shapes can be stacked after load_folder(..., size=...) or resize_crop")
    images = np.asarray(images)
    if images.ndim < 3 or images.shape[-1] != 3:
        raise ChromaLabError(f"{name} must have shape (..., H, W, 3), got {images.shape}")
    return images


def _count_images(images, name: str) -> int:
    if isinstance(images, np.ndarray):
        if images.ndim < 3:
            raise ChromaLabError(f"{name} must hold whole images, shape (n, H, W[, 3]), got "
                                 f"{images.shape}; split images, not pixels")
        return len(images)
    if isinstance(images, (list, tuple)):
        return len(images)
    raise ChromaLabTypeError(f"{name} must be an array (n, H, W[, 3]) or a list of images, "
                             f"got {type(images).__name__}")


def _take(seq, idx):
    if isinstance(seq, np.ndarray):
        return seq[idx]
    return [seq[i] for i in idx]
