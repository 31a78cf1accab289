"""Reading images: one file (:func:`load_image`), a folder with labels (:func:`load_folder`).

Every image comes out as a ``(H, W, 3)`` uint8 RGB array, whatever Pillow mode the file uses;
:func:`resize_crop` makes it a square of a given side.
"""

from __future__ import annotations

import csv
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from chroma_lab._checks import check_choice, check_int
from chroma_lab._files import resolve_path
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MANIFEST_NAME = "manifest.csv"
# The most pixels any reader of the package decodes (train, colorize, evaluate, turing all read
# through load_image): Pillow's own decompression-bomb threshold, about 89 million (a 9,500 x
# 9,500 photo). A 100-megapixel PNG can be a 118 KB file; decoded to RGB it is 300 MB, and a
# model's activations on it many times that. Refused from the file's header, before decoding.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS
_PROGRESS_MIN_FILES = 50  # below this a progress bar is only noise


class ImageReadError(ChromaLabError):
    """A file exists but is not an image Pillow can decode (corrupt, truncated, not an image)."""


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

    Multi-frame files (animated GIF, multi-page TIFF) give their first frame. A file of more than
    :data:`MAX_PIXELS` pixels is refused from its header, before anything is decoded.

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
        The file is not a readable image: unknown format, corrupt or truncated, or too large.
    """
    path = _as_path(path, "path")
    if not path.exists():
        resolve_path(path)  # a symlink loop is an OSError of its own
        raise FileNotFoundError(f"No image file at '{path}'; check the path and the working folder")
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a folder, not an image; use load_folder() to read it")
    try:
        with warnings.catch_warnings():
            # Pillow warns from its own MAX_IMAGE_PIXELS on; ours is checked just below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            if img.width * img.height > MAX_PIXELS:
                raise ImageReadError(f"Cannot read '{path}': it has too many pixels ({img.width} x "
                                     f"{img.height}, more than the {MAX_PIXELS:,} chroma_lab reads: a "
                                     "decompression bomb, or a photo to shrink first).")  # fmt: skip
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
    size = check_int(size, "size", 1)
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return _resize(image[top : top + side, left : left + side], size, size)


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
    check_choice(on_error, "on_error", ("raise", "skip"))
    if size is not None:
        size = check_int(size, "size", 1)

    entries = _folder_entries(folder)
    if not entries:
        raise ChromaLabError(
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
        raise ChromaLabError(f"None of the {len(entries)} files in '{folder}' could be read as images.")
    if size is not None:
        images = np.stack(images)
    return images, np.array(labels, dtype=str)


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
def resize(image, shape) -> np.ndarray:
    """Resize a uint8 image (H, W[, 3]) to exactly ``shape = (height, width)`` (Lanczos)."""
    height, width = (int(v) for v in shape)
    return _resize(np.asarray(image), height, width)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Lanczos resampling (anti-aliased when shrinking) to exactly (height, width)."""
    if image.shape[:2] == (height, width):
        return image.copy()
    pil = Image.fromarray(np.ascontiguousarray(image))
    return np.asarray(pil.resize((width, height), Image.Resampling.LANCZOS)).copy()


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
        rows = _read_manifest(manifest)
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


def _read_manifest(manifest: Path) -> list:
    """(file, category) rows of a manifest.csv; an entry that would leave its folder (absolute,
    or through "..") is refused, naming it, as is a file that is not UTF-8 CSV."""
    try:
        with open(manifest, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            if "file" not in columns or "category" not in columns:
                raise ChromaLabError(f"'{manifest}' needs the columns 'file' and 'category', "
                                     f"found {columns}")
            rows = [(row["file"] or "", row["category"] or "") for row in reader]
    except UnicodeDecodeError as exc:
        raise ChromaLabError(f"'{manifest}' is not UTF-8 text (byte {exc.start}: {exc.reason}); "
                             "save it as UTF-8") from exc
    except csv.Error as exc:
        raise ChromaLabError(f"'{manifest}' is not a CSV file ({exc})") from exc
    outside = [name for name, _ in rows if _leaves_folder(name)]
    if outside:
        listed = ", ".join(repr(name) for name in outside[:3]) + (" ..." if len(outside) > 3 else "")
        raise ChromaLabError(f"'{manifest}' lists {len(outside)} file(s) outside its folder ({listed}); "
                             "entries must be paths inside the folder")
    return rows


def _leaves_folder(name: str) -> bool:
    """Whether a manifest entry points outside its folder: absolute, or climbing out with "..".
    (A symbolic link inside the folder is the folder owner's choice and is followed.)"""
    path = Path(os.path.normpath(name)) if name else Path()
    return path.is_absolute() or bool(path.drive) or (path.parts[:1] == ("..",))


def _as_path(path, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ChromaLabTypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path).expanduser()


def _check_single_image(image, name: str) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise ChromaLabTypeError(f"{name} must be a NumPy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ChromaLabTypeError(f"{name} must be uint8, got dtype {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ChromaLabError(f"{name} must have shape (H, W, 3) or (H, W), got {image.shape}")
    if min(image.shape[:2]) < 1:
        raise ChromaLabError(f"{name} is empty: shape {image.shape}")
    return image
