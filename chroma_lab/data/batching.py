"""Batches of uint8 images for ``model.fit``: a seeded Keras ``PyDataset``.

This is the one module of :mod:`chroma_lab.data` that imports Keras (and so its backend), which is
why ``chroma_lab.data`` imports it only when :func:`make_batches` is first called.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from chroma_lab._checks import check_int
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError


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
    return ImageBatches(images, labels, batch_size, shuffle, seed, **pydataset_kwargs)


class ImageBatches(keras.utils.PyDataset):
    """Seeded, reshuffled-per-epoch batches of uint8 images (and labels); see make_batches."""

    def __init__(self, images, labels=None, batch_size=16, shuffle=True, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels = _check_batch_inputs(images, labels)
        self.batch_size = check_int(batch_size, "batch_size", 1)
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

    def set_epoch(self, epoch: int) -> None:
        """Read epoch ``epoch``'s order from now on (``KerasColorizer`` sets it as each epoch begins)."""
        self.epoch = check_int(epoch, "epoch", 0)
        self._order = self._epoch_order()

    def on_epoch_end(self):
        self.set_epoch(self.epoch + 1)

    def _epoch_order(self):
        n = len(self.images)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, self.epoch]).permutation(n)


# ----------------------------------------------------------------------------------------------
# Private workers
# ----------------------------------------------------------------------------------------------
def _check_batch_inputs(images, labels):
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim not in (3, 4):
        got = f"{images.dtype} array of shape {images.shape}" if isinstance(images, np.ndarray) \
            else type(images).__name__
        raise ChromaLabTypeError(f"images must be a uint8 array of shape (n, H, W, 3) or (n, H, W), "
                                 f"got {got}")
    if len(images) == 0:
        raise ChromaLabError("images is empty; there is nothing to batch")
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(images):
            raise ChromaLabError(f"labels has {len(labels)} entries but images has {len(images)}")
    return images, labels
