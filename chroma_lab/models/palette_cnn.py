"""Lesson 4: a small CNN that classifies every pixel into a K-means palette colour.

The network of one seed report (a student project colorizing cartoon frames): grayscale in, a
3x3 convolution with ReLU for a little context, dropout, and a per-pixel layer scoring the
``n_colors`` palette classes; trained with Adadelta. The report's first loss compared the class
*index* with an L1 distance and would not converge: it says class 7 is closer to class 3 than
class 30 is, although palette indices have no order. One-hot cross-entropy fixed it. The three
losses of the lesson:

* ``"onehot"``: per-pixel softmax cross-entropy over the palette classes (the fix);
* ``"l1_index"``: one output squashed to 0..n_colors-1 by ``sigmoid * (n_colors - 1)``, L1 against
  the integer class index (the report's failing loss; the report also rounded the output, which
  has no gradient at all, so the rounding is left to decoding);
* ``"l2_ab"``: two outputs regressing a*, b* with an L2 loss, which averages the colours a gray
  level could have into brownish gray (the problem Zhang et al. 2016 set out to solve).

:func:`build_palette_cnn` returns the uncompiled Keras model, written with Keras layers only, so it
runs on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from chroma_lab.color import denormalize_ab, gray_to_lightness, normalize_ab, normalize_l
from chroma_lab.color import rgb_to_gray, rgb_to_lab
from chroma_lab.data import resize_crop
from chroma_lab.models.base import Colorizer
from chroma_lab.quantize import KMeansPalette

LOSSES = ("onehot", "l1_index", "l2_ab")
OUTPUTS = ("classes", "index", "ab")
OUTPUT_OF_LOSS = {"onehot": "classes", "l1_index": "index", "l2_ab": "ab"}
VERBOSE = ("auto", 0, 1, 2)
# Zeiler's Adadelta paper (2012) uses epsilon 1e-6; Keras' 1e-7 makes the first steps about 3x
# smaller (a step starts near sqrt(epsilon)), and this network then barely learns in 30 epochs.
ADADELTA_EPSILON = 1e-6
_PREDICT_PIXELS = 1 << 19  # pixels per forward pass when colorizing: bounds the activations


def build_palette_cnn(n_colors: int = 32, filters: int = 32, dropout: float = 0.25,
                      output: str = "classes") -> keras.Model:  # fmt: skip
    """The per-pixel palette network, uncompiled and fully convolutional (any H, W).

    Parameters
    ----------
    n_colors : int
        Number of palette classes.
    filters : int
        Filters of the 3x3 convolution.
    dropout : float in [0, 1)
        Dropout rate after the convolution (the report's guard against overfitting).
    output : {"classes", "index", "ab"}
        ``"classes"``: ``n_colors`` logits per pixel (no softmax: the loss takes logits, and a
        softmax layer followed by a sparse cross-entropy fails on the PyTorch backend);
        ``"index"``: one value in 0..n_colors-1, ``sigmoid(z) * (n_colors - 1)``;
        ``"ab"``: a*, b* divided by ``AB_SCALE`` (:func:`chroma_lab.color.normalize_ab`).

    Returns
    -------
    keras.Model
        Input ``lightness`` of shape (batch, H, W, 1), normalised L (:func:`normalize_l`);
        output of shape (batch, H, W, n_colors), (batch, H, W, 1) or (batch, H, W, 2).
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    _check_int(n_colors, "n_colors", low=2)
    _check_int(filters, "filters")
    _check_dropout(dropout)
    inputs = keras.Input(shape=(None, None, 1), name="lightness")
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name="conv3x3")(inputs)
    x = layers.Dropout(dropout, name="dropout")(x)
    if output == "classes":
        y = layers.Conv2D(n_colors, 1, name="class_logits")(x)
    elif output == "index":
        y = layers.Conv2D(1, 1, activation="sigmoid", name="index_sigmoid")(x)
        y = layers.Rescaling(float(n_colors - 1), name="class_index")(y)
    else:
        y = layers.Conv2D(2, 1, name="ab")(x)
    return keras.Model(inputs, y, name=f"palette_cnn_{output}")


class PaletteCNNColorizer(Colorizer):
    """Per-pixel palette classification with a small CNN (lesson 4).

    Parameters
    ----------
    n_colors : int
        Size of the K-means palette (clustered in the ab plane of the training images).
    loss : {"onehot", "l1_index", "l2_ab"}
        Training objective, see the module docstring.
    image_size : int or None
        Training images are centre-cropped and resized to ``image_size`` squares
        (:func:`chroma_lab.data.resize_crop`); None trains on the images as given. Colorizing
        works at any size: the network is fully convolutional.
    filters, dropout
        See :func:`build_palette_cnn`.
    epochs, batch_size : int
        Passed to ``keras.Model.fit``.
    learning_rate : float
        Adadelta's learning rate; 1.0 as in the original Adadelta paper (Keras' default of 0.001
        barely moves this network). Epsilon is the paper's 1e-6 (:data:`ADADELTA_EPSILON`).
    verbose : {"auto", 0, 1, 2}
        Keras progress output during training.
    seed : int
        ``keras.utils.set_random_seed(seed)`` is called at the start of ``fit`` (this resets the
        global Python, NumPy and backend seeds), so two fits with the same seed give the same
        model on CPU. The palette uses the same seed.

    Attributes
    ----------
    palette_ : KMeansPalette
        The fitted palette (space "ab"); ``palette_.palette_`` has shape (n_colors, 2).
    model_ : keras.Model
        The trained network.
    history_ : dict of str -> list of float
        Per-epoch values logged by Keras, e.g. ``history_["loss"]``.
    """

    def __init__(self, n_colors=32, loss="onehot", image_size=64, filters=32, dropout=0.25,
                 epochs=30, batch_size=16, learning_rate=1.0, verbose="auto", seed=0):  # fmt: skip
        self.n_colors = n_colors
        self.loss = loss
        self.image_size = image_size
        self.filters = filters
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.verbose = verbose
        self.seed = seed

    def _fit(self, images):
        self._validate()
        if self.image_size is not None:
            size = int(self.image_size)
            if images.shape[1:3] != (size, size):
                images = np.stack([resize_crop(image, size) for image in images])
        keras.utils.set_random_seed(int(self.seed))
        self.palette_ = KMeansPalette(n_colors=self.n_colors, space="ab",
                                      random_state=self.seed).fit(images)  # fmt: skip
        x = self._inputs(gray_to_lightness(rgb_to_gray(images, method="cie")))
        if self.loss == "onehot":
            y = self.palette_.encode(images).astype(np.int32)
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        elif self.loss == "l1_index":
            y = self.palette_.encode(images)[..., None].astype(np.float32)
            loss = keras.losses.MeanAbsoluteError()
        else:
            y = normalize_ab(rgb_to_lab(images)[..., 1:]).astype(np.float32)
            loss = keras.losses.MeanSquaredError()
        model = build_palette_cnn(self.n_colors, self.filters, self.dropout,
                                  output=OUTPUT_OF_LOSS[self.loss])  # fmt: skip
        optimizer = keras.optimizers.Adadelta(learning_rate=self.learning_rate,
                                              epsilon=ADADELTA_EPSILON)  # fmt: skip
        model.compile(optimizer=optimizer, loss=loss)
        history = model.fit(x, y, batch_size=int(self.batch_size), epochs=int(self.epochs),
                            verbose=self.verbose, shuffle=True)  # fmt: skip
        self.model_ = model
        self.history_ = {k: [float(v) for v in values] for k, values in history.history.items()}

    def predict_classes(self, L) -> np.ndarray:
        """Palette class of every pixel (losses "onehot" and "l1_index").

        Parameters
        ----------
        L : ndarray of shape (n, H, W)
            Lightness L* in 0..100 (e.g. ``chroma_lab.color.gray_to_lightness(gray)``).

        Returns
        -------
        ndarray of shape (n, H, W), int
            Indices into ``palette_.palette_``: the argmax of the logits, or the rounded index.
        """
        if self.loss == "l2_ab":
            raise ValueError("loss='l2_ab' predicts ab directly, not palette classes")
        out = self._forward(L)
        if self.loss == "onehot":
            return np.argmax(out, axis=-1)
        return np.clip(np.rint(out[..., 0]), 0, len(self.palette_.palette_) - 1).astype(np.intp)

    def _predict_ab(self, L):
        if self.loss == "l2_ab":
            return denormalize_ab(self._forward(L).astype(np.float64))
        return self.palette_.palette_[self.predict_classes(L)]

    def _forward(self, L) -> np.ndarray:
        """The network's raw output for lightness L (n, H, W), in chunks of images."""
        if not hasattr(self, "model_"):
            raise RuntimeError("this PaletteCNNColorizer is not fitted yet: call fit(images) first")
        L = np.asarray(L, dtype=np.float64)
        if L.ndim != 3:
            raise ValueError(f"L must have shape (n, H, W), got {L.shape}")
        step = max(1, _PREDICT_PIXELS // max(1, L.shape[1] * L.shape[2]))
        chunks = []
        for start in range(0, len(L), step):
            out = self.model_(self._inputs(L[start : start + step]), training=False)
            chunks.append(keras.ops.convert_to_numpy(out))
        return np.concatenate(chunks)

    @staticmethod
    def _inputs(L):
        return normalize_l(np.asarray(L, dtype=np.float32))[..., None]

    def _validate(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        _check_int(self.n_colors, "n_colors", low=2)
        _check_int(self.filters, "filters")
        _check_int(self.epochs, "epochs")
        _check_int(self.batch_size, "batch_size")
        if self.image_size is not None:
            _check_int(self.image_size, "image_size")
        _check_dropout(self.dropout)
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        if isinstance(self.verbose, bool) or self.verbose not in VERBOSE:
            raise ValueError(f"verbose must be one of {VERBOSE}, got {self.verbose!r}")
        _check_int(self.seed, "seed", low=0)


def _check_int(value, name: str, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def _check_dropout(value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"dropout must be a rate in [0, 1), got {value!r}")
