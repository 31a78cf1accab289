"""Data files shipped inside the package (listed with their sources in ``data/README.md``).

* ``zhang2016_prior_probs.npy``: the empirical probability of each of the 313 ab bins over the
  ImageNet training set, ``resources/prior_probs.npy`` of richzhang/colorization (Zhang, Isola and
  Efros, "Colorful Image Colorization", ECCV 2016; BSD-2-Clause licence, quoted in
  ``zhang2016_prior_probs.LICENSE.txt`` beside it), unchanged.
"""

from __future__ import annotations

from importlib import resources

import numpy as np


def zhang2016_prior_probs() -> np.ndarray:
    """Zhang et al.'s published ImageNet class prior: ndarray of shape (313,), float64.

    The bins are those of :data:`chroma_lab.quantize` (the same 313 in-gamut ab centres, in the
    same order), so it can stand in for :func:`chroma_lab.quantize.class_prior` of a dataset.
    """
    with resources.files(__name__).joinpath("zhang2016_prior_probs.npy").open("rb") as handle:
        return np.load(handle, allow_pickle=False)
