"""Data: reading images, datasets, preparing them for a model, batching them for training.

One module per concern; every public name is importable from here
(``from chroma_lab.data import load_image, to_gray``):

* :mod:`~chroma_lab.data.images`: :func:`load_image` reads one file as uint8 RGB, whatever its
  mode, and refuses one of more than :data:`MAX_PIXELS` pixels from its header (every command
  reads through it); :func:`load_folder` reads a folder with labels; :func:`resize_crop`.
* :mod:`~chroma_lab.data.datasets`: :func:`bundled_photos` (the default data, no network),
  :func:`load_cifar10`, and :func:`load_dataset` / :func:`check_data_spec` for the ``--data``
  specs ``photos``, ``scenes`` and ``folder:PATH``.
* :mod:`~chroma_lab.data.preprocess`: :func:`split_lab`, :func:`to_gray`,
  :func:`image_class_prior`, :func:`extract_patches`, :func:`sample_pixels`,
  :func:`train_test_split_images`.
* :mod:`~chroma_lab.data.batching`: :func:`make_batches`, a Keras ``PyDataset``.
* :mod:`~chroma_lab.data.streaming`: :class:`FolderStream`, a folder of any size decoded batch by
  batch (a Keras ``PyDataset``), and :func:`streamed_class_prior`.

``import chroma_lab.data`` does not import Keras or TensorFlow, so a command fails fast on bad
input: :func:`make_batches` below imports the batching module on its first call. Synthetic
landscapes live in :mod:`chroma_lab.scenes`. ``FolderStream`` and ``streamed_class_prior`` are
imported on first use for the same reason.
"""

from chroma_lab.data.datasets import (
    CIFAR10_CLASSES,
    DATA_SPECS,
    bundled_photos,
    check_data_spec,
    load_cifar10,
    load_dataset,
)
from chroma_lab.data.images import (
    IMAGE_EXTENSIONS,
    MANIFEST_NAME,
    MAX_PIXELS,
    ImageReadError,
    load_folder,
    load_image,
    resize,
    resize_crop,
)
from chroma_lab.data.preprocess import (
    PAD_MODES,
    extract_patches,
    image_class_prior,
    sample_pixels,
    split_lab,
    to_gray,
    train_test_split_images,
)

__all__ = [
    "CIFAR10_CLASSES", "DATA_SPECS", "IMAGE_EXTENSIONS", "MANIFEST_NAME", "MAX_PIXELS", "PAD_MODES",
    "ImageReadError", "bundled_photos", "check_data_spec", "extract_patches", "image_class_prior", "load_cifar10",
    "load_dataset", "load_folder", "load_image", "make_batches", "resize", "resize_crop", "sample_pixels",
    "split_lab", "to_gray", "train_test_split_images", "FolderStream", "streamed_class_prior",
]  # fmt: skip


def make_batches(images, labels=None, batch_size: int = 16, shuffle: bool = True, seed: int = 0,
                 **pydataset_kwargs):
    """Seeded batches of uint8 images for ``model.fit``; imports Keras on the first call.

    See :func:`chroma_lab.data.batching.make_batches` for the parameters.
    """
    from chroma_lab.data.batching import make_batches as make

    return make(images, labels, batch_size, shuffle, seed, **pydataset_kwargs)


def __getattr__(name):
    # FolderStream is a Keras PyDataset: import Keras only when it is asked for
    if name in ("FolderStream", "streamed_class_prior"):
        from chroma_lab.data import streaming

        return getattr(streaming, name)
    raise AttributeError(f"module 'chroma_lab.data' has no attribute {name!r}")
