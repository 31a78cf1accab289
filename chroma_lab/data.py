"""Reading images and small datasets: the one entry point every lesson, model and test uses.

* :func:`load_image` reads one file into a ``(H, W, 3)`` uint8 RGB array, whatever Pillow mode the
  file uses; :func:`load_folder` reads a folder of them with labels.
* :func:`bundled_photos` returns the 9 colour photos shipped inside installed dependencies (the
  package's default "embedded data", no network); :func:`load_cifar10` reads CIFAR-10.
* Helpers for lessons: :func:`resize_crop`, :func:`train_test_split_images`,
  :func:`extract_patches`, :func:`sample_pixels`, :func:`split_lab`, :func:`to_gray`,
  :func:`make_batches` (a ``keras.utils.PyDataset``) and :func:`as_tf_dataset`.

Synthetic landscapes live in :mod:`chroma_lab.scenes`. ``import chroma_lab.data`` stays light:
Keras, TensorFlow, tqdm and scikit-image are imported inside the functions that need them.
"""

from __future__ import annotations

import csv
import math
import os
import pickle
import warnings
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, ImageOps

from chroma_lab.color import rgb_to_gray, rgb_to_lab

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MANIFEST_NAME = "manifest.csv"
PAD_MODES = ("reflect", "symmetric", "edge", "wrap", "constant")
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# sha256 of the tarball, the same value Keras checks in keras.datasets.cifar10.
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
_PROGRESS_MIN_FILES = 50  # below this a progress bar is only noise


class ImageReadError(ValueError):
    """A file exists but is not an image Pillow can decode (corrupt, truncated, not an image)."""


# ----------------------------------------------------------------------------------------------
# Single images
# ----------------------------------------------------------------------------------------------
def load_image(path) -> np.ndarray:
    """Read an image file as 8-bit RGB.

    EXIF orientation is applied, so a phone photo comes out the right way up. Every Pillow mode is
    converted to RGB:

    * gray (``L``, ``1``) is replicated into three channels;
    * images with transparency (``LA``, ``RGBA``, ``PA``, palettes with a transparent colour) are
      composited **over white**, because colorization has no use for alpha;
    * palettes (``P``) and ``CMYK`` are converted as Pillow converts them;
    * 16-bit gray (``I;16``, ``I;16B``, and ``I``, read as 0..65535) is scaled to 8 bits by
      dividing by 257 and rounding, so 257 * k becomes k. Pillow itself reduces 16-bit-per-channel
      RGB PNGs to 8 bits while reading (it keeps the high byte);
    * float ``F`` images are taken as 0..1 if their maximum is <= 1, else as 0..255 (clipped).

    Multi-frame files (animated GIF, multi-page TIFF) give their first frame.

    Parameters
    ----------
    path : str or os.PathLike
        The image file.

    Returns
    -------
    ndarray of shape (H, W, 3), uint8

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    IsADirectoryError
        ``path`` is a folder (use :func:`load_folder`).
    ImageReadError
        The file is not a readable image: unknown format, corrupt or truncated.
    """
    path = _as_path(path, "path")
    if not path.exists():
        raise FileNotFoundError(f"No image file at '{path}'; check the path and the working folder")
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a folder, not an image; use load_folder() to read it")
    try:
        with Image.open(path) as img:
            img.load()  # decode every pixel now, so a truncated file fails here and not later
            img = ImageOps.exif_transpose(img)
            return _pil_to_rgb_uint8(img, path)
    except (PermissionError, ImageReadError):
        raise
    except Image.UnidentifiedImageError as exc:
        raise ImageReadError(
            f"Cannot read '{path}': it is not an image file Pillow recognises "
            "(wrong extension, or not an image at all)."
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ImageReadError(f"Cannot read '{path}': it has too many pixels ({exc}).") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise ImageReadError(
            f"Cannot read '{path}': the file is damaged or truncated ({exc})."
        ) from exc


def resize_crop(image, size: int) -> np.ndarray:
    """Resize so the shorter side is ``size``, then keep the centre ``size x size`` square.

    Implemented as "crop the central square, then resize", which is the same picture without a
    second interpolation. Resampling is Lanczos (anti-aliased when shrinking).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W), uint8
    size : int
        Side of the output square, >= 1.

    Returns
    -------
    ndarray of shape (size, size, 3) or (size, size), uint8
    """
    image = _check_single_image(image, "image")
    size = _check_positive_int(size, "size")
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return resize(image[top : top + side, left : left + side], (size, size))


def resize(image, shape) -> np.ndarray:
    """Resize to exactly ``shape = (height, width)`` with Lanczos resampling (aspect may change).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W), uint8
    shape : tuple of two ints

    Returns
    -------
    ndarray of shape (height, width, 3) or (height, width), uint8
    """
    image = _check_single_image(image, "image")
    if not (isinstance(shape, (tuple, list)) and len(shape) == 2):
        raise ValueError(f"shape must be a pair (height, width), got {shape!r}")
    height = _check_positive_int(shape[0], "shape[0]")
    width = _check_positive_int(shape[1], "shape[1]")
    if image.shape[:2] == (height, width):
        return image.copy()
    pil = Image.fromarray(np.ascontiguousarray(image))
    return np.asarray(pil.resize((width, height), Image.Resampling.LANCZOS)).copy()


# ----------------------------------------------------------------------------------------------
# Folders and datasets
# ----------------------------------------------------------------------------------------------
def load_folder(path, size=None, *, on_error="raise", progress=True):
    """Read every image in a folder, with a label per image.

    Labels come from, in this order:

    1. a ``manifest.csv`` in the folder with at least the columns ``file`` (path relative to the
       folder) and ``category``: only the files it lists are read;
    2. otherwise the first-level subfolder: ``root/cat/x.jpg`` has label ``"cat"``;
    3. files directly in the folder get the empty label ``""``.

    Files are read in sorted order of their relative paths, so the result is deterministic.
    Hidden files and folders (names starting with ".") are ignored.

    Parameters
    ----------
    path : str or os.PathLike
        The folder.
    size : int or None
        None keeps each image's own shape; an int resizes and centre-crops every image to
        ``(size, size)`` with :func:`resize_crop`.
    on_error : {"raise", "skip"}
        What to do with a file that is not a readable image: raise :class:`ImageReadError`, or
        skip it with a warning naming the file.
    progress : bool
        Show a tqdm progress bar when there are more than 50 files.

    Returns
    -------
    images : list of ndarray of shape (H_i, W_i, 3), or ndarray of shape (n, size, size, 3)
        uint8 RGB.
    labels : ndarray of shape (n,), str
    """
    folder = _as_path(path, "path")
    if not folder.exists():
        raise FileNotFoundError(f"No folder at '{folder}'; check the path and the working folder.")
    if not folder.is_dir():
        raise NotADirectoryError(f"'{folder}' is a file, not a folder; use load_image() to read it")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    if size is not None:
        size = _check_positive_int(size, "size")

    entries = _folder_entries(folder)
    if not entries:
        raise ValueError(
            f"No images found in '{folder}'; accepted extensions (any case): "
            f"{', '.join(IMAGE_EXTENSIONS)}."
        )
    iterator = entries
    if progress and len(entries) > _PROGRESS_MIN_FILES:
        from tqdm import tqdm  # plain tqdm: tqdm.auto needs ipywidgets inside notebooks

        iterator = tqdm(entries, desc=f"Reading {folder.name}", unit="image")

    images, labels = [], []
    for file, label in iterator:
        try:
            image = load_image(file)
        except ImageReadError as exc:
            if on_error == "raise":
                raise
            warnings.warn(f"Skipped '{file}': {exc}", stacklevel=2)
            continue
        images.append(image if size is None else resize_crop(image, size))
        labels.append(label)
    if not images:
        raise ValueError(f"None of the {len(entries)} files in '{folder}' could be read as images.")
    if size is not None:
        images = np.stack(images)
    return images, np.array(labels, dtype=str)


def bundled_photos(size=None):
    """The colour photos shipped inside installed dependencies: no download, no extra files.

    scikit-image: astronaut, chelsea, coffee, rocket, motorcycle_left, motorcycle_right;
    scikit-learn: china, flower; matplotlib: grace_hopper. Licences are listed in
    ``data/README.md``.

    Parameters
    ----------
    size : int or None
        As in :func:`load_folder`: None keeps the original shapes, an int centre-crops to squares.

    Returns
    -------
    images : list of 9 ndarrays of shape (H_i, W_i, 3), or ndarray of shape (9, size, size, 3)
        uint8 RGB.
    names : list of str
    """
    import skimage.data
    from matplotlib import cbook
    from sklearn.datasets import load_sample_images

    if size is not None:
        size = _check_positive_int(size, "size")
    left, right, _disparity = skimage.data.stereo_motorcycle()
    photos = {
        "astronaut": skimage.data.astronaut(),
        "chelsea": skimage.data.chelsea(),
        "coffee": skimage.data.coffee(),
        "rocket": skimage.data.rocket(),
        "motorcycle_left": left,
        "motorcycle_right": right,
    }
    for filename in load_sample_images().filenames:
        photos[Path(filename).stem] = load_image(filename)
    photos["grace_hopper"] = load_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))

    names = list(photos)
    images = [np.ascontiguousarray(photos[name], dtype=np.uint8) for name in names]
    if size is not None:
        images = np.stack([resize_crop(image, size) for image in images])
    return images, names


def load_cifar10(path=None):
    """CIFAR-10 as uint8 arrays, laid out like ``keras.datasets.cifar10.load_data()``.

    Reads the standard "CIFAR-10 python version" folder (``data_batch_1`` .. ``data_batch_5``,
    ``test_batch``; each a pickled dict with ``b"data"`` of shape (N, 3072), the red, green and
    blue 32x32 planes row by row, and ``b"labels"``). The pickles are read with an unpickler that
    only accepts NumPy arrays, so a tampered file cannot run code.

    Parameters
    ----------
    path : str, os.PathLike or None
        The folder holding the batch files (or holding a ``cifar-10-batches-py`` folder that does).
        None downloads the 163 MB tarball once through ``keras.utils.get_file`` (needs internet)
        into ``~/.keras/datasets`` and reads it from there.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        x: ndarray of shape (n, 32, 32, 3), uint8; y: ndarray of shape (n, 1), uint8 class
        indices into :data:`CIFAR10_CLASSES`.
    """
    if path is None:
        import keras

        path = keras.utils.get_file(
            "cifar-10-batches-py", origin=CIFAR10_URL, extract=True, file_hash=CIFAR10_SHA256
        )
    folder = _as_path(path, "path")
    if not (folder / "data_batch_1").is_file() and (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"  # the tarball's own top folder
    names = [f"data_batch_{i}" for i in range(1, 6)]
    missing = [name for name in [*names, "test_batch"] if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"'{folder}' is not a CIFAR-10 python folder: missing {', '.join(missing)}."
        )
    train = [_read_cifar_batch(folder / name) for name in names]
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), _read_cifar_batch(folder / "test_batch")


# ----------------------------------------------------------------------------------------------
# Helpers for lessons
# ----------------------------------------------------------------------------------------------
def train_test_split_images(images, labels=None, test_size=0.2, random_state=0):
    """Split a dataset by whole images, never by pixel, so no test pixel's neighbours leak.

    Parameters
    ----------
    images : ndarray of shape (n, ...) or list of n arrays
    labels : array_like of shape (n,), optional
    test_size : float in (0, 1) or int
        Fraction or number of images in the test part (a fraction is rounded up).
    random_state : int
        Seed of the shuffle.

    Returns
    -------
    images_train, images_test : same type as ``images``
    labels_train, labels_test : only when ``labels`` is given
    """
    n = _count_images(images, "images")
    if labels is not None and len(labels) != n:
        raise ValueError(f"labels has {len(labels)} entries but images has {n} images")
    if isinstance(test_size, (float, np.floating)) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise ValueError(f"test_size must be a float in (0, 1) or an int, got {test_size!r}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size={test_size!r} leaves {n - n_test} of {n} images for training "
                         f"and {n_test} for testing; both parts need at least one image")
    order = np.random.default_rng(random_state).permutation(n)
    test_idx, train_idx = np.sort(order[:n_test]), np.sort(order[n_test:])
    parts = [_take(images, train_idx), _take(images, test_idx)]
    if labels is not None:
        parts += [_take(labels, train_idx), _take(labels, test_idx)]
    return tuple(parts)


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
        raise ValueError(f"gray must have shape (H, W) or (n_images, H, W), got {gray.shape}")
    patch_size = _check_positive_int(patch_size, "patch_size")
    if patch_size % 2 == 0:
        raise ValueError(f"patch_size must be odd so a pixel sits at the centre, got {patch_size}")
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {PAD_MODES}, got {pad_mode!r}")
    stack = gray if gray.ndim == 3 else gray[None]
    if positions is None:
        positions = np.indices(stack.shape).reshape(3, -1).T
    else:
        positions = np.asarray(positions)
        is_int = positions.dtype.kind in "iu"
        if not is_int or positions.ndim != 2 or positions.shape[1] != gray.ndim:
            raise ValueError(f"positions must be an int array of shape (n, {gray.ndim}) for gray "
                             f"of shape {gray.shape}, got {positions.dtype} {positions.shape}")
        if gray.ndim == 2:
            positions = np.column_stack([np.zeros(len(positions), dtype=int), positions])
        if (positions < 0).any() or (positions >= np.array(stack.shape)).any():
            raise ValueError(f"positions must lie inside the image(s) of shape {gray.shape}")
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
        raise ValueError(f"shape must be (H, W) or (n_images, H, W) of positive ints, got {shape}")
    total = math.prod(shape)
    if not isinstance(n, (int, np.integer)) or not 0 <= n <= total:
        raise ValueError(f"n must be an int in 0..{total} (the number of pixels), got {n!r}")
    flat = np.random.default_rng(random_state).choice(total, size=int(n), replace=False)
    return np.column_stack(np.unravel_index(flat, shape)).astype(np.int64)


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
        raise TypeError(f"images must be uint8 RGB, got dtype {images.dtype}")
    return rgb_to_gray(images, method="cie")


def make_batches(images, labels=None, batch_size: int = 16, shuffle: bool = True, seed: int = 0,
                 **pydataset_kwargs):
    """Batches of uint8 images for ``model.fit``: an :class:`ImageBatches` (a Keras PyDataset).

    Parameters
    ----------
    images : ndarray of shape (n, H, W, 3) or (n, H, W), uint8
    labels : array_like of shape (n, ...), optional
        When given, each batch is ``(images, labels)``.
    batch_size : int
    shuffle : bool
        Reshuffle every epoch; epoch ``e`` uses the order drawn from ``(seed, e)``.
    seed : int
    **pydataset_kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` for ``keras.utils.PyDataset``.

    Returns
    -------
    ImageBatches
        ``len()`` is the number of batches; item ``i`` is batch ``i`` of the current epoch.
    """
    return _image_batches_class()(images, labels, batch_size, shuffle, seed, **pydataset_kwargs)


def as_tf_dataset(images, labels=None, batch_size: int = 16, shuffle: bool = True, seed: int = 0):
    """The same batches as :func:`make_batches` as a ``tf.data.Dataset`` (TensorFlow backend).

    Parameters
    ----------
    images : ndarray of shape (n, H, W, 3) or (n, H, W), uint8
    labels : array_like of shape (n, ...), optional
    batch_size : int
    shuffle : bool
        Reshuffle every epoch with the seeded ``Dataset.shuffle``.
    seed : int

    Returns
    -------
    tf.data.Dataset
        Yields uint8 tensors of shape (batch, H, W, 3), or (images, labels) pairs.
    """
    import tensorflow as tf

    images, labels = _check_batch_inputs(images, labels)
    batch_size = _check_positive_int(batch_size, "batch_size")
    dataset = tf.data.Dataset.from_tensor_slices(images if labels is None else (images, labels))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def __getattr__(name):
    # ImageBatches subclasses keras.utils.PyDataset; build it on first use so that importing this
    # module never imports Keras.
    if name == "ImageBatches":
        return _image_batches_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
_IMAGE_BATCHES = None


def _image_batches_class():
    global _IMAGE_BATCHES
    if _IMAGE_BATCHES is not None:
        return _IMAGE_BATCHES
    import keras

    class ImageBatches(keras.utils.PyDataset):
        """Seeded, reshuffled-per-epoch batches of uint8 images (and labels); see make_batches."""

        def __init__(self, images, labels=None, batch_size=16, shuffle=True, seed=0, **kwargs):
            super().__init__(**kwargs)
            self.images, self.labels = _check_batch_inputs(images, labels)
            self.batch_size = _check_positive_int(batch_size, "batch_size")
            self.shuffle = shuffle
            self.seed = seed
            self.epoch = 0
            self._order = self._epoch_order()

        def __len__(self):
            return math.ceil(len(self.images) / self.batch_size)

        def __getitem__(self, index):
            if not -len(self) <= index < len(self):
                raise IndexError(f"batch index {index} out of range for {len(self)} batches")
            index %= len(self)
            idx = self._order[index * self.batch_size : (index + 1) * self.batch_size]
            if self.labels is None:
                return self.images[idx]
            return self.images[idx], self.labels[idx]

        def on_epoch_end(self):
            self.epoch += 1
            self._order = self._epoch_order()

        def _epoch_order(self):
            n = len(self.images)
            if not self.shuffle:
                return np.arange(n)
            return np.random.default_rng([self.seed, self.epoch]).permutation(n)

    ImageBatches.__module__ = __name__
    _IMAGE_BATCHES = ImageBatches
    return ImageBatches


class _CifarUnpickler(pickle.Unpickler):
    # Only what a NumPy array needs (numpy < 2 and >= 2 spellings); anything else could run code.
    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _read_cifar_batch(file: Path):
    try:
        with open(file, "rb") as handle:
            batch = _CifarUnpickler(handle, encoding="bytes").load()
        batch = {(k.decode() if isinstance(k, bytes) else k): v for k, v in batch.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.uint8)
    except (pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError, ValueError) as e:
        raise ImageReadError(
            f"Cannot read CIFAR batch '{file}': it is not a CIFAR-10 pickle ({e})."
        ) from e
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ImageReadError(f"Cannot read CIFAR batch '{file}': data has shape {data.shape} and "
                             f"{len(labels)} labels; expected (N, 3072) and N labels.")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # planes -> channels last
    return np.ascontiguousarray(images), labels.reshape(-1, 1)


def _pil_to_rgb_uint8(img: Image.Image, path: Path) -> np.ndarray:
    mode = img.mode
    if mode == "RGB":
        return np.array(img, dtype=np.uint8)
    if mode in ("L", "1"):
        return _replicate_gray(np.array(img.convert("L"), dtype=np.uint8))
    if mode.startswith("I;16") or mode == "I":
        values = np.clip(np.asarray(img).astype(np.float64), 0, 65535)
        return _replicate_gray(np.round(values / 257.0).astype(np.uint8))
    if mode == "F":
        values = np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0)
        if values.size and values.max() <= 1.0:
            values = values * 255.0
        return _replicate_gray(np.round(np.clip(values, 0, 255)).astype(np.uint8))
    has_alpha = mode in ("LA", "La", "PA", "RGBA", "RGBa") or (
        mode == "P" and "transparency" in img.info
    )
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.uint32)
        alpha = rgba[..., 3:]
        # over white, in integers with rounding: (c * a + 255 * (255 - a)) / 255
        over = (rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255
        return over.astype(np.uint8)
    try:
        return np.array(img.convert("RGB"), dtype=np.uint8)
    except ValueError as exc:
        raise ImageReadError(
            f"Cannot read '{path}': its colour mode {mode!r} has no conversion to RGB."
        ) from exc


def _replicate_gray(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=-1)


def _folder_entries(folder: Path):
    """Sorted (file, label) pairs from a manifest.csv or from the folder layout."""
    manifest = folder / MANIFEST_NAME
    if manifest.is_file():
        with open(manifest, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            if "file" not in columns or "category" not in columns:
                raise ValueError(f"'{manifest}' needs the columns 'file' and 'category', "
                                 f"found {columns}")
            rows = [(row["file"], row["category"]) for row in reader]
        for name, _ in rows:
            if not (folder / name).is_file():
                raise FileNotFoundError(f"'{manifest}' lists '{name}', which is not in '{folder}'.")
        return [(folder / name, label) for name, label in sorted(rows)]
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(root).relative_to(folder)
        label = rel.parts[0] if rel.parts else ""
        for name in files:
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS):
                entries.append((rel / name, label))
    return [(folder / rel, label) for rel, label in sorted(entries, key=lambda e: e[0].as_posix())]


def _as_path(path, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path).expanduser()


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _check_single_image(image, name: str) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8, got dtype {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"{name} must have shape (H, W, 3) or (H, W), got {image.shape}")
    if min(image.shape[:2]) < 1:
        raise ValueError(f"{name} is empty: shape {image.shape}")
    return image


def _check_rgb_array(images, name: str) -> np.ndarray:
    if isinstance(images, (list, tuple)):
        raise TypeError(f"{name} must be one array of shape (n, H, W, 3); images of different "
                        "shapes can be stacked after load_folder(..., size=...) or resize_crop")
    images = np.asarray(images)
    if images.ndim < 3 or images.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (..., H, W, 3), got {images.shape}")
    return images


def _check_batch_inputs(images, labels):
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim not in (3, 4):
        got = f"{images.dtype} array of shape {images.shape}" if isinstance(images, np.ndarray) \
            else type(images).__name__
        raise TypeError(f"images must be a uint8 array of shape (n, H, W, 3) or (n, H, W), "
                        f"got {got}")
    if len(images) == 0:
        raise ValueError("images is empty; there is nothing to batch")
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(images):
            raise ValueError(f"labels has {len(labels)} entries but images has {len(images)}")
    return images, labels


def _count_images(images, name: str) -> int:
    if isinstance(images, np.ndarray):
        if images.ndim < 3:
            raise ValueError(f"{name} must hold whole images, shape (n, H, W[, 3]), got "
                             f"{images.shape}; split images, not pixels")
        return len(images)
    if isinstance(images, (list, tuple)):
        return len(images)
    raise TypeError(f"{name} must be an array (n, H, W[, 3]) or a list of images, "
                    f"got {type(images).__name__}")


def _take(seq, idx):
    if isinstance(seq, np.ndarray):
        return seq[idx]
    return [seq[i] for i in idx]
