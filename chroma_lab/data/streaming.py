"""Train on a folder of any size: a seeded, resumable stream of uint8 batches.

:class:`FolderStream` lists a folder once (the files and labels :func:`load_folder` reads, in
the same sorted order), shuffles it per epoch from ``(seed, epoch)``, and decodes one batch per
``__getitem__``: memory holds the file list and the batches in flight, whatever the folder's size.
It is a Keras ``PyDataset``, so ``model.fit`` runs it under TensorFlow, JAX and PyTorch alike and
decodes batches in parallel with ``workers=``. Threads, not processes, are the default: Pillow
releases the GIL while it decodes and resizes, and with threads the skipped-file count of the
workers is the stream's own (``benchmarks/bench_input_pipeline.py`` measured threads against
processes, a plain PIL loop and ``tf.data``; ``benchmarks/README.md`` has the figures).
Data-parallel, :class:`~chroma_lab.models.keras_colorizer.KerasColorizer` has each process
:meth:`~FolderStream.load` only its own slice of every batch (:func:`chroma_lab.backend.process_shard`),
so the processes of a run decode every file of an epoch once between them.

:func:`streamed_class_prior` is :func:`chroma_lab.quantize.class_prior` computed a batch at a time
(bin counts are summed, so on the same images it gives the in-memory prior exactly), over every
file or over a seeded sample of them.
"""

from __future__ import annotations

import math
import threading
import warnings

import keras
import numpy as np

from chroma_lab._checks import check_int
from chroma_lab.data.images import (
    ImageReadError, _as_path, _folder_entries, _resize, load_image, resize_crop,
)  # fmt: skip
from chroma_lab.data.preprocess import image_class_prior
from chroma_lab.errors import ChromaLabError

# Random crops keep at least this fraction of the shorter side (then resize to the square).
MIN_CROP = 0.875


class FolderStream(keras.utils.PyDataset):
    """Batches of uint8 RGB squares decoded from a folder on the fly; see the module docstring.

    Parameters
    ----------
    folder : str or os.PathLike
        Images directly inside, in class subfolders, or listed by a ``manifest.csv`` (as
        :func:`~chroma_lab.data.images.load_folder`).
    size : int
        Side of the square images.
    batch_size : int
    seed : int
        Epoch ``e`` visits the files in the order ``default_rng([seed, e]).permutation(n)``.
    augment : bool
        False: centre crop and resize (:func:`~chroma_lab.data.images.resize_crop`, the images
        ``load_folder`` gives). True: a random square of at least ``MIN_CROP`` of the shorter side
        and a random horizontal flip, drawn from ``(seed, epoch, file index)``.
    shuffle : bool
    transform : callable, optional
        Applied to each uint8 batch (n, size, size, 3); its result is the batch (e.g. ``(x, y)``).
    **pydataset_kwargs
        ``workers`` (default 2), ``use_multiprocessing`` (default False), ``max_queue_size``.
        Keras' reader threads call ``__getitem__`` for any index in any order; a batch depends
        only on ``(seed, epoch, index)``, so the weights do not depend on ``workers``.

    Attributes
    ----------
    files : list of pathlib.Path
    labels : ndarray of shape (n,), str
    epoch : int
        The epoch whose order ``__getitem__`` reads; ``on_epoch_end`` advances it.
    skipped : set of pathlib.Path
        Files that could not be read. Each is warned about once; in a training batch its place
        is taken by another image of the batch, so every batch keeps its shape (a new shape would
        recompile the training step, and data-parallel processes must feed equal slices).
    """

    def __init__(self, folder, size, batch_size=16, seed=0, augment=False, shuffle=True,
                 transform=None, **pydataset_kwargs):  # fmt: skip
        pydataset_kwargs.setdefault("workers", 2)
        super().__init__(**pydataset_kwargs)
        self.folder = _as_path(folder, "folder")
        if not self.folder.is_dir():
            raise NotADirectoryError(f"'{self.folder}' is not a folder of images")
        self.size = check_int(size, "size", 1)
        self.batch_size = check_int(batch_size, "batch_size", 1)
        self.seed = check_int(seed, "seed", 0)
        self.augment, self.shuffle, self.transform = bool(augment), bool(shuffle), transform
        entries = _folder_entries(self.folder)
        if not entries:
            raise ChromaLabError(f"No images found in '{self.folder}'")
        self.files = [file for file, _ in entries]
        self.labels = np.array([label for _, label in entries], dtype=str)
        self.epoch = 0
        self.skipped = set()
        self._lock = threading.Lock()
        self._order = self.epoch_order(0)

    # --- the order -----------------------------------------------------------------------------
    def epoch_order(self, epoch: int) -> np.ndarray:
        """Indices into ``files`` in the order epoch ``epoch`` reads them (as ``make_batches``)."""
        n = len(self.files)
        return np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle \
            else np.arange(n)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int(epoch, "epoch", 0)
        self._order = self.epoch_order(self.epoch)

    def on_epoch_end(self):
        self.set_epoch(self.epoch + 1)

    # --- batches -------------------------------------------------------------------------------
    def __len__(self):
        return math.ceil(len(self._order) / self.batch_size)

    def __getitem__(self, index):
        return self.load(self.batch_indices(index))

    def batch_indices(self, index: int) -> np.ndarray:
        """Indices into ``files`` of batch ``index`` of the current epoch."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        index %= len(self)
        return self._order[index * self.batch_size : (index + 1) * self.batch_size]

    def load(self, indices):
        """The training batch of ``files[i]`` for i in ``indices``: read with ``fill=True`` and
        the stream's ``augment``, through ``transform``. ``KerasColorizer`` loads only its
        process's slice of a batch."""
        batch = self.read(indices, fill=True, augment=self.augment)
        return batch if self.transform is None else self.transform(batch)

    def read(self, indices, fill: bool = False, augment: bool = False) -> np.ndarray:
        """The images of ``files[i]`` for i in ``indices``, (m, size, size, 3) uint8.

        Centre-cropped as :func:`~chroma_lab.data.images.load_folder` crops them, or with
        ``augment`` the random crop and flip of the current epoch. An unreadable file is warned
        about once and added to ``skipped``. ``fill=False`` leaves it out (m < len(indices));
        ``fill=True`` puts the batch's readable images in its place, in turn, so that
        m = len(indices). A batch whose every file is unreadable raises :class:`ImageReadError`.
        """
        images = []
        for i in indices:
            try:
                images.append(self._decode(int(i), augment))
            except (ImageReadError, OSError) as exc:
                self._skip(self.files[i], exc)
                images.append(None)
        readable = [image for image in images if image is not None]
        if not readable:
            names = ", ".join(f"'{self.files[i]}'" for i in indices)
            raise ImageReadError(f"none of the files of a batch could be read: {names}")
        if fill:
            spare = iter(readable * len(images))
            return np.stack([next(spare) if image is None else image for image in images])
        return np.stack(readable)

    def sample_indices(self, size: int | None, seed: int = 0) -> np.ndarray:
        """Sorted indices of ``size`` files drawn without replacement from ``seed`` (every file
        if ``size`` is None or the folder has no more): what fit-time state is learnt from."""
        n = len(self.files)
        if size is None or check_int(size, "sample", 1) >= n:
            return np.arange(n)
        return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))

    def _decode(self, i: int, augment: bool) -> np.ndarray:
        image = load_image(self.files[i])
        if not augment:
            return resize_crop(image, self.size)
        rng = np.random.default_rng([self.seed, self.epoch, i])
        h, w = image.shape[:2]
        side = max(1, round(min(h, w) * rng.uniform(MIN_CROP, 1.0)))
        top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        image = _resize(image[top : top + side, left : left + side], self.size, self.size)
        return image[:, ::-1].copy() if rng.random() < 0.5 else image

    def _skip(self, file, exc) -> None:
        with self._lock:
            if file in self.skipped:
                return
            self.skipped.add(file)
        warnings.warn(f"Skipped '{file}': {exc}", stacklevel=2)


def streamed_class_prior(stream: FolderStream, sample: int | None = None, seed: int = 0,
                         sigma: float | None = 5.0) -> np.ndarray:  # fmt: skip
    """The class prior of a stream's images, computed a batch at a time.

    Every file of the folder (centre-cropped as ``load_folder`` crops them), or a
    seeded sample of ``sample`` of them. On the same images it equals
    :func:`chroma_lab.quantize.class_prior` of the in-memory array (the bin counts are integers,
    summed exactly).

    Parameters
    ----------
    stream : FolderStream
    sample : int or None
        None: every file; an int: that many files drawn without replacement from ``seed``
        (all of them if the folder has fewer).
    seed : int
    sigma : float or None
        As in :func:`~chroma_lab.quantize.class_prior`.

    Returns
    -------
    ndarray of shape (313,), float64, summing to 1
    """
    indices = stream.sample_indices(sample, seed)

    def batches():
        for start in range(0, len(indices), stream.batch_size):
            try:
                yield stream.read(indices[start : start + stream.batch_size])
            except ImageReadError:
                continue  # every file of this slice was unreadable, and warned about

    try:
        return image_class_prior(batches(), sigma)
    except ValueError:
        raise ChromaLabError(f"none of the sampled files of '{stream.folder}' could be read") from None

