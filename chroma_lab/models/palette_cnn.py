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

from chroma_lab._checks import check_choice, check_int, check_number
from chroma_lab.color import denormalize_ab, normalize_ab, rgb_to_gray, rgb_to_lab
from chroma_lab.errors import ChromaLabError
from chroma_lab.models.keras_colorizer import KerasColorizer, LightnessFromGray
from chroma_lab.quantize import KMeansPalette

LOSSES = ("onehot", "l1_index", "l2_ab")
OUTPUTS = ("classes", "index", "ab")
OUTPUT_OF_LOSS = {"onehot": "classes", "l1_index": "index", "l2_ab": "ab"}
# Zeiler's Adadelta paper (2012) uses epsilon 1e-6; Keras' 1e-7 makes the first steps about 3x
# smaller (a step starts near sqrt(epsilon)), and this network then barely learns in 30 epochs.
ADADELTA_EPSILON = 1e-6
# Upper bounds of the network's sizes: far above any lesson's, far below what exhausts memory
# (an edited colorizer.json is checked against them before the network is built).
MAX_COLORS, MAX_FILTERS = 1024, 1024


def build_palette_cnn(n_colors: int = 32, filters: int = 32, dropout: float = 0.25,
                      output: str = "classes", seed: int | None = None) -> keras.Model:  # fmt: skip
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
    seed : int, optional
        Seed of the dropout masks. It is saved in the model's config, so a reloaded model draws
        the same masks (None draws a seed from the global random state, a new one on reload).

    Returns
    -------
    keras.Model
        Input ``lightness`` of shape (batch, H, W, 1), normalised L (:func:`normalize_l`);
        output of shape (batch, H, W, n_colors), (batch, H, W, 1) or (batch, H, W, 2).
    """
    check_choice(output, "output", OUTPUTS)
    check_int(n_colors, "n_colors", low=2)
    check_int(filters, "filters", low=1)
    check_number(dropout, "dropout", low=0, high=1, high_open=True)
    inputs = keras.Input(shape=(None, None, 1), name="lightness")
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name="conv3x3")(inputs)
    x = layers.Dropout(dropout, seed=seed, name="dropout")(x)
    if output == "classes":
        y = layers.Conv2D(n_colors, 1, name="class_logits")(x)
    elif output == "index":
        y = layers.Conv2D(1, 1, activation="sigmoid", name="index_sigmoid")(x)
        y = layers.Rescaling(float(n_colors - 1), name="class_index")(y)
    else:
        y = layers.Conv2D(2, 1, name="ab")(x)
    return keras.Model(inputs, y, name=f"palette_cnn_{output}")


class PaletteCNNColorizer(KerasColorizer):
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
        works at the input's own size: the network is fully convolutional and sees 3x3 pixels.
    filters, dropout
        See :func:`build_palette_cnn`.
    epochs, batch_size : int
        ``epochs`` counts all epochs, over ``fit`` and every ``continue_fit``. Small batches (4)
        give this small network enough updates on a lesson-sized data set.
    learning_rate : float
        Adadelta's learning rate. The original paper's 1.0 under-trains this network on about a
        hundred scenes in 30 epochs; lesson 4 measured 2.0 (Keras' default of 0.001 barely moves
        it). Epsilon is the paper's 1e-6 (:data:`ADADELTA_EPSILON`).
    verbose : {"auto", 0, 1, 2}
        Keras progress output during training.
    seed : int
        ``keras.utils.set_random_seed(seed)`` is called at the start of ``fit`` (this resets the
        global Python, NumPy and backend seeds), so two fits with the same seed give the same
        model on CPU. The palette uses the same seed; epoch e shuffles with ``(seed, e)``.

    Attributes
    ----------
    palette_ : KMeansPalette
        The fitted palette (space "ab"); ``palette_.palette_`` has shape (n_colors, 2).
    model_ : keras.Model
        The training model: uint8 gray (n, H, W) -> :class:`LightnessFromGray` -> ``network_``.
    network_ : keras.Model
        The network of :func:`build_palette_cnn` (normalised L -> output).
    history_ : dict of str -> list of float
        Per-epoch values logged by Keras, e.g. ``history_["loss"]``.
    """

    registry_name = "cnn"
    predicts_at_training_scale = False  # a 3x3 per-pixel classifier: colorize at full resolution
    cli_options = {
        "--loss": ("loss", {"help": "onehot (default), l1_index or l2_ab (lesson 4)"}),
        **KerasColorizer.cli_options,
    }  # fmt: skip

    def __init__(self, n_colors=32, loss="onehot", image_size=64, filters=32, dropout=0.25,
                 epochs=30, batch_size=4, learning_rate=2.0, verbose="auto", seed=0):  # fmt: skip
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

    def _setup(self, images):
        self.palette_ = KMeansPalette(n_colors=self.n_colors, space="ab",
                                      random_state=self.seed).fit(images)  # fmt: skip

    def _build_model(self):
        network = build_palette_cnn(self.n_colors, self.filters, self.dropout,
                                    output=OUTPUT_OF_LOSS[self.loss], seed=self.seed)  # fmt: skip
        gray = keras.Input(shape=(None, None), dtype="uint8", name="gray")
        model = keras.Model(gray, network(LightnessFromGray(name="gray_to_l")(gray)),
                            name=f"{network.name}_train")  # fmt: skip
        loss = {"onehot": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                "l1_index": keras.losses.MeanAbsoluteError(),
                "l2_ab": keras.losses.MeanSquaredError()}[self.loss]  # fmt: skip
        optimizer = keras.optimizers.Adadelta(learning_rate=self.learning_rate,
                                              epsilon=ADADELTA_EPSILON)  # fmt: skip
        model.compile(optimizer=optimizer, loss=loss)
        return model

    def _training_data(self, images):
        # the input colorize() will be given: the 8-bit gray of each pixel
        gray = rgb_to_gray(images, method="cie")
        if self.loss == "onehot":
            return gray, self.palette_.encode(images).astype(np.int32)
        if self.loss == "l1_index":
            return gray, self.palette_.encode(images)[..., None].astype(np.float32)
        return gray, normalize_ab(rgb_to_lab(images)[..., 1:]).astype(np.float32)

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
            raise ChromaLabError("loss='l2_ab' predicts ab directly, not palette classes")
        return self._classes(self._forward(L))

    def _classes(self, output: np.ndarray) -> np.ndarray:
        if self.loss == "onehot":
            return np.argmax(output, axis=-1)
        return np.clip(np.rint(output[..., 0]), 0, len(self.palette_.palette_) - 1).astype(np.intp)

    def _decode(self, output):
        output = keras.ops.convert_to_numpy(output)
        if self.loss == "l2_ab":
            return denormalize_ab(output.astype(np.float64))
        return self.palette_.palette_[self._classes(output)]

    def _state(self):
        return {"palette": self.palette_.palette_.tolist()}

    def _restore(self, settings):
        centres = np.asarray(settings["palette"], dtype=np.float64)
        if centres.ndim != 2 or centres.shape[1] != 2:
            raise ChromaLabError(f"palette must have shape (n_colors, 2), got {centres.shape}")
        self.palette_ = KMeansPalette(n_colors=len(centres), space="ab", random_state=self.seed)
        self.palette_.palette_ = centres

    def validate_params(self):
        super().validate_params()
        check_choice(self.loss, "loss", LOSSES)
        check_int(self.n_colors, "n_colors", low=2, high=MAX_COLORS)
        check_int(self.filters, "filters", low=1, high=MAX_FILTERS)
        if self.image_size is not None:
            check_int(self.image_size, "image_size", low=1)
        check_number(self.dropout, "dropout", low=0, high=1, high_open=True)
