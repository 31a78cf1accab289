"""Lesson 3: colour classes from a self-organising map, chosen per pixel from its neighbourhood.

After Richart, Visca and Baliosian, "Image Colorization with Neural Networks" (Workshop of
Computer Vision 2017):

1. a self-organising map (:class:`~chroma_lab.quantize.SOMPalette`, minisom) trained on the ab
   values of sampled pixels turns the colours into a few classes, one per map cell (the paper
   compares 4, 9, 16 and 25 neurons);
2. a multi-layer perceptron (scikit-learn's ``MLPClassifier``) reads the flattened lightness patch
   around a pixel and predicts the map cell of its centre;
3. colorizing predicts a cell for every pixel and paints it with that cell's colour.

Unlike the lookup table of lesson 2, the patch shows texture: grass and sky of equal lightness
can get different colours. A patch of side p gives the network p * p inputs.
"""

from __future__ import annotations

import warnings

import numpy as np

from chroma_lab._checks import check_fitted, check_int
from chroma_lab.color import gray_to_lightness, normalize_l, rgb_to_gray, rgb_to_lab
from chroma_lab.data import extract_patches, sample_pixels
from chroma_lab.errors import ChromaLabError
from chroma_lab.models.base import Colorizer
from chroma_lab.quantize import SOMPalette

_CHUNK = 65536  # pixels per prediction call: about 6.5 MB of 5x5 float32 patches


class SOMPatchColorizer(Colorizer):
    """Classify each pixel's lightness patch into a SOM colour class.

    Parameters
    ----------
    som_shape : tuple of two ints
        Map size (rows, columns); the number of colour classes is rows * columns.
    patch_size : int
        Odd side p of the square lightness patch centred on each pixel; the MLP has p * p inputs.
        Pixels near the border get a full patch by mirror (reflect) padding.
    hidden_layer_sizes : tuple of int
        Hidden layers of the MLP, as in ``sklearn.neural_network.MLPClassifier``.
    n_pixels : int
        Pixels sampled from the training images, both to train the map and to train the MLP.
    space : {"ab", "rgb"}
        Space the map is trained in; an RGB cell contributes its a*, b* only.
    max_iter : int
        Training epochs of the MLP at most (Adam; early stopping off, as stated).
    random_state : int or None
        Seed of the pixel sample, the map and the MLP.

    Attributes
    ----------
    som_ : SOMPalette
        The fitted map; ``som_.palette_`` holds the cell colours in row-major order.
    mlp_ : sklearn.neural_network.MLPClassifier
        The fitted patch classifier; ``mlp_.classes_`` are the cells seen in training.
    colors_ab_ : ndarray of shape (rows * columns, 2)
        a*, b* of each map cell.
    train_accuracy_ : float
        Share of the training patches whose cell the MLP gets right.

    Examples
    --------
    >>> from chroma_lab.scenes import synthetic_scenes
    >>> from chroma_lab.data import to_gray
    >>> images, _ = synthetic_scenes(12, size=32)
    >>> model = SOMPatchColorizer(n_pixels=2000, max_iter=50).fit(images)
    >>> model.colorize(to_gray(images[:2])).shape
    (2, 32, 32, 3)
    """

    def __init__(self, som_shape=(3, 3), patch_size=5, hidden_layer_sizes=(64,), n_pixels=20000,
                 space="ab", max_iter=200, random_state=0):  # fmt: skip
        self.som_shape = som_shape
        self.patch_size = patch_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_pixels = n_pixels
        self.space = space
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, images):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        self.validate_params()
        self.som_ = SOMPalette(shape=self.som_shape, space=self.space, n_samples=self.n_pixels,
                               random_state=self.random_state).fit(images)  # fmt: skip
        cells = self.som_.palette_
        self.colors_ab_ = cells if self.space == "ab" else rgb_to_lab(cells)[..., 1:]

        # the lightness colorize() will be given: that of the 8-bit gray image
        l_norm = normalize_l(gray_to_lightness(rgb_to_gray(images, method="cie")))
        positions = sample_pixels(l_norm.shape, min(int(self.n_pixels), l_norm.size),
                                  random_state=self.random_state)  # fmt: skip
        patches = extract_patches(l_norm.astype(np.float32), self.patch_size, positions)
        targets = self.som_.encode(images[positions[:, 0], positions[:, 1], positions[:, 2]])
        if len(np.unique(targets)) < 2:
            raise ChromaLabError("the training pixels all fall in one SOM cell, so there is nothing "
                                 "to classify; use more varied images or a larger som_shape")
        self.mlp_ = MLPClassifier(hidden_layer_sizes=tuple(self.hidden_layer_sizes),
                                  max_iter=int(self.max_iter), early_stopping=False,
                                  random_state=self.random_state)  # fmt: skip
        with warnings.catch_warnings():
            # stopping at max_iter before the loss settles is expected in a lesson-sized run;
            # the training accuracy below says how good the fit got
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.mlp_.fit(patches, targets)
        self.train_accuracy_ = float(self.mlp_.score(patches, targets))

    def predict_cells(self, L) -> np.ndarray:
        """SOM cell predicted for every pixel.

        Parameters
        ----------
        L : ndarray of shape (n, H, W)
            Lightness L* in 0..100 (e.g. ``chroma_lab.color.gray_to_lightness(gray)``).

        Returns
        -------
        ndarray of shape (n, H, W), int
            Indices into ``som_.palette_`` (row-major cells).
        """
        check_fitted(self, "mlp_")
        L = np.asarray(L, dtype=np.float64)
        if L.ndim != 3:
            raise ChromaLabError(f"L must have shape (n, H, W), got {L.shape}")
        l_norm = normalize_l(L).astype(np.float32)
        cells = np.empty(L.shape, dtype=np.intp)
        for i, image in enumerate(l_norm):
            flat = cells[i].reshape(-1)
            # chunks bound the memory of the patch matrix (p * p floats per pixel)
            for start in range(0, image.size, _CHUNK):
                index = np.arange(start, min(start + _CHUNK, image.size))
                rows, cols = np.unravel_index(index, image.shape)
                patches = extract_patches(image, self.patch_size, np.column_stack([rows, cols]))
                flat[index] = self.mlp_.predict(patches)
        return cells

    def _predict_ab(self, L):
        return self.colors_ab_[self.predict_cells(L)]

    def validate_params(self):
        for name in ("patch_size", "n_pixels", "max_iter"):
            check_int(getattr(self, name), name, low=1)
        if self.patch_size % 2 == 0:
            raise ChromaLabError(f"patch_size must be odd so the pixel sits at the patch centre, "
                                 f"got {self.patch_size}")  # fmt: skip
        sizes = self.hidden_layer_sizes
        if not isinstance(sizes, (tuple, list)) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ChromaLabError(f"hidden_layer_sizes must be a tuple of positive ints, e.g. (64,), "
                                 f"got {sizes!r}")  # fmt: skip
