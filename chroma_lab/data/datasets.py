"""Datasets: the bundled photos, synthetic scenes, a folder of your own, CIFAR-10.

* :func:`bundled_photos`: the 9 colour photos shipped inside installed dependencies (the package's
  default data, no network); :func:`load_cifar10` reads CIFAR-10.
* :func:`load_dataset` reads a dataset named by a *data spec*, the ``--data`` value of the
  ``train`` and ``evaluate`` commands: ``photos``, ``scenes`` (:mod:`chroma_lab.scenes`) or
  ``folder:PATH``; :func:`check_data_spec` checks one before anything slow starts.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from chroma_lab._checks import check_int
from chroma_lab._files import resolve_path
from chroma_lab.data.images import ImageReadError, _as_path, load_folder, load_image, resize_crop
from chroma_lab.errors import ChromaLabError

DATA_SPECS = ("photos", "scenes", "folder:PATH")
_FOLDER = "folder:"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# sha256 of the tarball, the same value Keras checks in keras.datasets.cifar10.
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def check_data_spec(spec) -> str:
    """Check a data spec and return it normalised.

    Parameters
    ----------
    spec : str
        ``"photos"`` (the bundled photos), ``"scenes"`` (synthetic landscapes with scene labels)
        or ``"folder:PATH"`` (a folder of images, labelled by subfolder or ``manifest.csv``).

    Returns
    -------
    str
        ``spec``, with a folder's path made absolute (``~`` expanded), so that the same spec reads
        the same images from any working folder, e.g. when a run is resumed.

    Raises
    ------
    ValueError
        Anything else; the message names the valid specs.
    """
    if spec in ("photos", "scenes"):
        return spec
    if isinstance(spec, str) and spec.startswith(_FOLDER) and spec[len(_FOLDER) :].strip():
        return _FOLDER + str(resolve_path(spec[len(_FOLDER) :]))
    raise ChromaLabError(f"unknown data spec {spec!r}; use photos, scenes or folder:PATH")


def load_dataset(spec, size, n_scenes: int = 512, seed: int = 0):
    """Read the dataset a data spec names, as square uint8 RGB images with integer labels.

    Parameters
    ----------
    spec : str
        See :func:`check_data_spec`.
    size : int
        Side of the square images; photos and folder images are resized and centre-cropped
        (:func:`~chroma_lab.data.images.resize_crop`), scenes are drawn at this size (>= 16).
    n_scenes : int
        Number of synthetic scenes for ``"scenes"``.
    seed : int
        Seed of the synthetic scenes.

    Returns
    -------
    images : ndarray of shape (n, size, size, 3), uint8
    labels : ndarray of shape (n,), int, or None
        Index of each image's class in ``class_names``; None for ``"photos"`` and for a folder
        without subfolders or manifest (no labels).
    class_names : list of str, or None
        :data:`chroma_lab.scenes.SCENE_CLASSES` for scenes; a folder's labels in sorted order
        (files directly in the folder, next to labelled subfolders, have the label ``""``).

    Raises
    ------
    ValueError
        An unknown spec, or a folder without images (the message names it).
    FileNotFoundError, NotADirectoryError
        A folder spec whose path is missing or is a file.
    """
    spec = check_data_spec(spec)
    size = check_int(size, "size", 1)
    if spec == "photos":
        return bundled_photos(size=size)[0], None, None
    if spec == "scenes":
        # imported here: chroma_lab.scenes may itself use chroma_lab.data
        from chroma_lab.scenes import SCENE_CLASSES, synthetic_scenes

        images, names = synthetic_scenes(n_scenes, size=size, seed=seed)
        return images, _label_indices(names, SCENE_CLASSES), list(SCENE_CLASSES)
    images, names = load_folder(spec[len(_FOLDER) :], size=size)
    if not any(names):  # no subfolders, no manifest: the images have no labels
        return images, None, None
    class_names = sorted(set(names.tolist()))
    return images, _label_indices(names, class_names), class_names


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
        size = check_int(size, "size", 1)
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
# Private workers
# ----------------------------------------------------------------------------------------------
def _label_indices(names, class_names) -> np.ndarray:
    lookup = {name: i for i, name in enumerate(class_names)}
    return np.array([lookup[name] for name in names], dtype=np.int64)


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
