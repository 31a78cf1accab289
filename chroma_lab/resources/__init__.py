"""Data files shipped inside the package (listed with their sources in ``data/README.md``).

* ``zhang2016_imagenet_prior.npy``: the empirical probability of each of the 313 ab bins over the
  ImageNet training set, ``resources/prior_probs.npy`` of richzhang/colorization (Zhang, Isola and
  Efros, "Colorful Image Colorization", ECCV 2016; BSD-2-Clause licence, quoted in
  ``zhang2016_imagenet_prior.LICENSE.txt`` beside it), unchanged.

Only NumPy is imported here, so every layer (quantize, data, models, the CLI) may read them.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

IMAGENET_PRIOR_FILE = "zhang2016_imagenet_prior.npy"


def zhang2016_imagenet_prior() -> np.ndarray:
    """Zhang et al.'s published ImageNet class prior: ndarray of shape (313,), float64, summing to 1.

    The bins are those of :data:`chroma_lab.quantize` (the same 313 in-gamut ab centres, in the
    same order as :func:`chroma_lab.quantize.ab_bins`), so it can stand in for
    :func:`chroma_lab.quantize.class_prior` of a dataset. The file sums to 1 up to rounding; it is
    renormalised so that it does exactly.
    """
    with resources.files(__name__).joinpath(IMAGENET_PRIOR_FILE).open("rb") as handle:
        prior = np.load(handle, allow_pickle=False).astype(np.float64)
    return prior / prior.sum()
