"""Coherent and colorful colorization (seed 000, after Stellbrink's report): a refinement of Zhang et al.

Zhang et al. (2016) predict a distribution over the 313 ab bins per pixel and decode it with the
annealed mean: the mode would be vivid but jumps between colours inside one surface, the mean is
coherent but dull. The report keeps the mode and makes it coherent instead: a second network
looks at the grayscale input and at the (upsampled, frozen) distribution of the base network, and
predicts a *refined* distribution whose mode is the output colour. Two losses train it:

* coherence, L_C (:func:`coherence_loss`): per pixel, the L2 distance between the horizontal and
  vertical ab gradients of the truth and of the prediction, the prediction's ab being the bin
  centres averaged under the temperature softmax f_T of the refined distribution (T = 0.01, close
  to the mode). It rewards colour edges where the truth has them and flatness where it is flat,
  without naming a colour;
* colour regularisation, L_R (:func:`color_regularizer`): 1 - Z . f_T(Z_hat) / max(Z) per pixel,
  0 when the refined mode is the base network's mode, 1 when the base gives it no probability.

The base network keeps its own rebalanced cross-entropy (it is lesson 5's
:class:`~chroma_lab.models.zhang2016.ZhangColorizer`, trained first or loaded from a folder), and
the refinement sees its logits through a stop-gradient, so the new losses never change it.

The report's own run collapsed to one colour per image. It proposes two fixes, both options of
:class:`CoherentColorizer` and of :class:`CoherentLoss`:

* ``gradient_rebalance``: weigh each pixel's L_C by the rarity of its true gradient magnitude
  (:func:`gradient_prior`, :data:`GRADIENT_EDGES`, and :func:`chroma_lab.quantize.rebalance_weights`
  as for colours in lesson 5), so that the rare edges are not outvoted by the many flat pixels;
* ``lightness_weighting``: lower both penalties where L* is very dark or very bright and the gamut
  shrinks (:func:`lightness_weights`: the share of the 313 bins displayable at that L*).

One more change, measured in ``benchmarks/eval_coherent.py`` and lesson 7: ``residual``, the
refinement predicts a correction added to the base logits, with its last layer initialised at
zero, so training starts from the base network's mode instead of from a random distribution.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
import keras
import numpy as np
from keras import layers, ops

from chroma_lab._checks import check_int, check_number
from chroma_lab.color import AB_SCALE, in_gamut, rgb_to_lab, rgb_to_lab_ops
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
from chroma_lab.models.keras_colorizer import KerasColorizer
from chroma_lab.models.zhang2016 import ZhangColorizer, build_training_model
from chroma_lab.quantize import N_BINS, REBALANCE_LAMBDA, ab_bins, annealed_mean_ops, rebalance_weights

LOSS_T = 0.01  # the report's temperature of f_T in both losses: almost the mode, still differentiable
# Bin edges of the true gradient magnitude |grad ab| (ab units) for the rebalancing fix: roughly
# doubling, as the magnitudes span flat surfaces (< 0.5) to hard colour edges (> 64).
GRADIENT_EDGES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
COHERENCE_EPS = 1e-8  # inside the square root of L_C (normalised ab^2): a finite gradient at 0


@dataclass(frozen=True)
class CoherentConfig:
    """The refinement branch (full resolution, on top of the base network's distribution)."""

    # Channels of the gray branch and of the refinement convolutions.
    width: int = 16
    # 3x3 convolutions of the gray branch before the concatenation.
    gray_depth: int = 2
    # Dilations of the 3x3 refinement convolutions: a field of view of about 31 pixels, so a
    # surface's colour can spread over a 64x64 scene's objects.
    dilations: tuple = (1, 2, 4, 8)


# ----------------------------------------------------------------------------------------------
# The losses (keras.ops; per-pixel values)
# ----------------------------------------------------------------------------------------------
def ab_gradients(ab):
    """Forward differences of ab along x and y, cropped to the (H - 1, W - 1) pixels having both.

    Parameters
    ----------
    ab : tensor of shape (n, H, W, 2)

    Returns
    -------
    dx, dy : tensors of shape (n, H - 1, W - 1, 2)
        ``dx[:, i, j] = ab[:, i, j + 1] - ab[:, i, j]``, ``dy[:, i, j] = ab[:, i + 1, j] - ab[:, i, j]``.
    """
    ab = ops.convert_to_tensor(ab)
    dx = ab[:, :-1, 1:, :] - ab[:, :-1, :-1, :]
    dy = ab[:, 1:, :-1, :] - ab[:, :-1, :-1, :]
    return dx, dy


def coherence_loss(true_ab, pred_ab):
    """L_C per pixel: ``|| (dx, dy) of the truth - (dx, dy) of the prediction ||_2`` in ab / 110.

    Parameters
    ----------
    true_ab, pred_ab : tensors of shape (n, H, W, 2), Lab units

    Returns
    -------
    tensor of shape (n, H - 1, W - 1)
        ``sqrt(|dx_T - dx_P|^2 + |dy_T - dy_P|^2 + eps) - sqrt(eps)`` on ab / ``AB_SCALE``
        (:data:`COHERENCE_EPS`): 0 when the gradients agree, whatever the colours.
    """
    tx, ty = ab_gradients(ops.cast(true_ab, "float32") / AB_SCALE)
    px, py = ab_gradients(ops.cast(pred_ab, "float32") / AB_SCALE)
    squared = ops.sum(ops.square(tx - px) + ops.square(ty - py), axis=-1)
    return ops.sqrt(squared + COHERENCE_EPS) - float(np.sqrt(COHERENCE_EPS))


def color_regularizer(base_logits, refined_logits, T: float = LOSS_T):
    """L_R per pixel: ``1 - Z . f_T(Z_hat) / max(Z)``, Z = softmax(base), f_T(Z_hat) = softmax(refined / T).

    Parameters
    ----------
    base_logits, refined_logits : tensors of shape (..., 313)

    Returns
    -------
    tensor of shape (...), in 0..1
    """
    z = ops.softmax(ops.cast(base_logits, "float32"), axis=-1)
    sharp = ops.softmax(ops.cast(refined_logits, "float32") / T, axis=-1)
    return 1.0 - ops.sum(z * sharp, axis=-1) / ops.max(z, axis=-1)


def gradient_magnitude(ab):
    """``sqrt(|dx|^2 + |dy|^2)`` of ab per pixel (ab units), shape (n, H - 1, W - 1); NumPy or ops."""
    if isinstance(ab, np.ndarray):
        dx = ab[:, :-1, 1:] - ab[:, :-1, :-1]
        dy = ab[:, 1:, :-1] - ab[:, :-1, :-1]
        return np.sqrt(np.sum(dx * dx + dy * dy, axis=-1))
    dx, dy = ab_gradients(ops.cast(ab, "float32"))
    return ops.sqrt(ops.sum(dx * dx + dy * dy, axis=-1))


def gradient_prior(ab) -> np.ndarray:
    """Share of pixels whose true gradient magnitude falls in each bin of :data:`GRADIENT_EDGES`.

    Parameters
    ----------
    ab : ndarray of shape (n, H, W, 2)
        The training images' ab.

    Returns
    -------
    ndarray of shape (len(GRADIENT_EDGES),), summing to 1; the last bin is open-ended
    """
    magnitude = gradient_magnitude(np.asarray(ab, dtype=np.float64))
    counts = np.bincount(np.digitize(magnitude.ravel(), GRADIENT_EDGES[1:]),
                         minlength=len(GRADIENT_EDGES)).astype(np.float64)  # fmt: skip
    return counts / counts.sum()


def gradient_weight_map(true_ab, bin_weights):
    """Each pixel's rebalancing weight: that of its true gradient magnitude's bin, (n, H - 1, W - 1)."""
    magnitude = gradient_magnitude(true_ab)
    index = ops.digitize(magnitude, list(GRADIENT_EDGES[1:]))
    table = ops.convert_to_tensor(np.asarray(bin_weights, dtype=np.float32))
    return ops.take(table, index, axis=0)


@functools.lru_cache(maxsize=1)
def lightness_weights() -> np.ndarray:
    """Weight of L* = 0, 1, ..., 100: the share of the 313 bins displayable there, over its maximum.

    The gamut shrinks towards black and white (lesson 1's figure), and with it the colour a
    mistake can make: the second fix of the report lowers both penalties there.

    Returns
    -------
    ndarray of shape (101,), in 0..1 (1 at the lightness with the widest gamut)
    """
    bins = ab_bins()
    levels = np.arange(101, dtype=np.float64)
    lab = np.concatenate([np.broadcast_to(levels[:, None, None], (101, N_BINS, 1)),
                          np.broadcast_to(bins, (101, N_BINS, 2))], axis=-1)  # fmt: skip
    share = in_gamut(lab).mean(axis=1)
    return share / share.max()


def lightness_weight_map(L):
    """:func:`lightness_weights` at each pixel's L* (rounded), with ``keras.ops``; L of any shape."""
    table = ops.convert_to_tensor(lightness_weights().astype(np.float32))
    index = ops.cast(ops.clip(ops.round(ops.cast(L, "float32")), 0, 100), "int32")
    return ops.take(table, index, axis=0)


def coherent_loss(y_true, y_pred, T: float = LOSS_T, regularizer_weight: float = 1.0,
                  gradient_bin_weights=None, lightness_weighting: bool = False):  # fmt: skip
    """The refinement's objective per pixel: (w_grad L_C + regularizer_weight L_R) w_L.

    Parameters
    ----------
    y_true : tensor of shape (n, H, W, 3)
        The colour images, RGB 0..255.
    y_pred : tensor of shape (n, H, W, 626)
        The coherent network's output: refined logits, then the base logits upsampled.
    T : float
        Temperature of f_T in both terms.
    regularizer_weight : float
    gradient_bin_weights : array_like of shape (len(GRADIENT_EDGES),), optional
        Rebalancing weights of the gradient-magnitude bins; None weighs every pixel 1.
    lightness_weighting : bool
        Multiply by :func:`lightness_weights` at the true L*.

    Returns
    -------
    tensor of shape (n, H - 1, W - 1)
    """
    lab = rgb_to_lab_ops(ops.cast(y_true, "float32") / 255.0)
    refined, base = y_pred[..., :N_BINS], y_pred[..., N_BINS:]
    lc = coherence_loss(lab[..., 1:], annealed_mean_ops(refined, T=T))
    if gradient_bin_weights is not None:
        lc = lc * gradient_weight_map(lab[..., 1:], gradient_bin_weights)
    total = lc + regularizer_weight * color_regularizer(base, refined, T)[:, :-1, :-1]
    if lightness_weighting:
        total = total * lightness_weight_map(lab[:, :-1, :-1, 0])
    return total


@keras.saving.register_keras_serializable(package="chroma_lab")
class CoherentLoss(keras.losses.Loss):
    """:func:`coherent_loss` as a serialisable Keras loss (mean over pixels)."""

    def __init__(self, T=LOSS_T, regularizer_weight=1.0, gradient_bin_weights=None,
                 lightness_weighting=False, name="coherent", reduction="sum_over_batch_size",
                 dtype=None):  # fmt: skip
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.T = check_number(T, "T", low=0, low_open=True)
        self.regularizer_weight = check_number(regularizer_weight, "regularizer_weight", low=0)
        if gradient_bin_weights is not None:
            gradient_bin_weights = [float(w) for w in gradient_bin_weights]
            if len(gradient_bin_weights) != len(GRADIENT_EDGES):
                raise ChromaLabError(f"gradient_bin_weights must hold {len(GRADIENT_EDGES)} weights "
                                     f"(one per GRADIENT_EDGES bin), got {len(gradient_bin_weights)}")
        self.gradient_bin_weights = gradient_bin_weights
        self.lightness_weighting = bool(lightness_weighting)

    def call(self, y_true, y_pred):
        return coherent_loss(y_true, y_pred, self.T, self.regularizer_weight,
                             self.gradient_bin_weights, self.lightness_weighting)  # fmt: skip

    def get_config(self):
        return {**super().get_config(), "T": self.T, "regularizer_weight": self.regularizer_weight,
                "gradient_bin_weights": self.gradient_bin_weights,
                "lightness_weighting": self.lightness_weighting}  # fmt: skip


# ----------------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="chroma_lab")
class StopGradient(layers.Layer):
    """Identity forward, zero gradient backward: the new losses do not reach the base network."""

    def call(self, x):
        return ops.stop_gradient(x)


def build(base_network: keras.Model, config: CoherentConfig | None = None, residual: bool = True,
          name: str = "coherent") -> keras.Model:  # fmt: skip
    """The coherent network around a base network (a Zhang et al. classes network), uncompiled.

    Parameters
    ----------
    base_network : keras.Model
        Normalised L (n, H, W, 1) -> 313 logits at 1/s resolution (:func:`zhang2016.build`).
    config : CoherentConfig, optional
    residual : bool
        Refined logits = upsampled base logits + a correction whose last layer starts at zero
        (True), or predicted from scratch as in the report (False).
    name : str

    Returns
    -------
    keras.Model
        Input: normalised L, shape (n, H, W, 1). Output: shape (n, H, W, 626), the refined logits
        (channels 0..312) and the base logits bilinearly upsampled (313..625), which L_R needs.
    """
    config = config or CoherentConfig()
    stride = _output_stride(base_network)
    l_norm = keras.Input(shape=(None, None, 1), name="l_norm")
    base_logits = StopGradient(name="stop_gradient")(base_network(l_norm))
    up_logits = layers.UpSampling2D(stride, interpolation="bilinear", name="upsample_313")(base_logits)
    distribution = layers.Softmax(name="base_distribution")(up_logits)
    g = l_norm
    for i in range(1, config.gray_depth + 1):
        g = layers.Conv2D(config.width, 3, padding="same", activation="relu", name=f"gray{i}")(g)
    x = layers.Concatenate(name="concat")([g, distribution])
    x = layers.Conv2D(config.width, 1, activation="relu", name="refine0")(x)
    for i, dilation in enumerate(config.dilations, start=1):
        x = layers.Conv2D(config.width, 3, padding="same", dilation_rate=dilation, activation="relu",
                          name=f"refine{i}")(x)  # fmt: skip
    head = layers.Conv2D(N_BINS, 1, name="refine_313", dtype="float32",
                         kernel_initializer="zeros" if residual else "glorot_uniform")(x)  # fmt: skip
    refined = layers.Add(name="residual")([up_logits, head]) if residual else head
    out = layers.Concatenate(name="refined_and_base")([refined, up_logits])
    return keras.Model(l_norm, out, name=name)


def _output_stride(base_network: keras.Model) -> int:
    side = 64
    out = base_network.compute_output_shape((1, side, side, 1))
    if out[-1] != N_BINS:
        raise ChromaLabError(f"the base network must output {N_BINS} logits (a Zhang 'full' or 'class' "
                             f"model), got {out[-1]} channels")  # fmt: skip
    return side // int(out[1])


# ----------------------------------------------------------------------------------------------
# The colorizer
# ----------------------------------------------------------------------------------------------
class CoherentColorizer(KerasColorizer):
    """The refinement of seed 000 on a Zhang et al. network; ``fit`` on uint8 RGB, ``colorize`` gray.

    Parameters
    ----------
    base : str or None
        Folder of a trained :class:`~chroma_lab.models.zhang2016.ZhangColorizer` (``chroma-lab
        train zhang --out DIR``), used frozen; None trains one first on the same images, with
        ``size``, ``base_epochs`` and the shared parameters.
    size : {"small", "full"}
        Size of the base network when it is trained here.
    residual, gradient_rebalance, lightness_weighting : bool
        The changes to the report's recipe (module docstring); all False is the report's own.
    regularizer_weight : float
        Weight of L_R against L_C.
    loss_temperature : float
        T of f_T in the losses (the report's 0.01).
    temperature : float
        Decoding of the refined distribution: 0 (default) is its mode, the report's output.
    image_size, epochs, batch_size, learning_rate, seed, verbose
        As for :class:`~chroma_lab.models.zhang2016.ZhangColorizer`; ``epochs`` counts the
        refinement's epochs.
    base_epochs : int or None
        Epochs of the base network when trained here (None: ``epochs``).

    Attributes
    ----------
    model_, network_, history_, epochs_done_
        As for every :class:`~chroma_lab.models.keras_colorizer.KerasColorizer`; ``network_``
        holds the frozen base network inside it.
    gradient_prior_ : ndarray of shape (len(GRADIENT_EDGES),)
        Shares of the training pixels' true gradient magnitudes (:func:`gradient_prior`).
    """

    registry_name = "coherent"
    cli_options = {
        "--size": ("size", {"help": "network size: small (CPU, the default) or full (the paper's)"}),
        **KerasColorizer.cli_options,
        "--base": ("base", {"metavar": "DIR", "help": "the trained zhang model (its --out folder) to "
                                                      "refine; default: train one first"}),
    }  # fmt: skip

    def __init__(self, base=None, size="small", residual=True, gradient_rebalance=True,
                 lightness_weighting=True, regularizer_weight=1.0, loss_temperature=LOSS_T,
                 temperature=0.0, image_size=64, epochs=10, batch_size=16, learning_rate=1e-3,
                 base_epochs=None, seed=0, verbose="auto"):  # fmt: skip
        self.base = base
        self.size = size
        self.residual = residual
        self.gradient_rebalance = gradient_rebalance
        self.lightness_weighting = lightness_weighting
        self.regularizer_weight = regularizer_weight
        self.loss_temperature = loss_temperature
        self.temperature = temperature
        self.image_size = image_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.base_epochs = base_epochs
        self.seed = seed
        self.verbose = verbose

    def _setup(self, images):
        self._base_network = self._base_model(images).network_
        self.gradient_prior_ = gradient_prior(rgb_to_lab(images)[..., 1:])

    def _setup_stream(self, stream):
        # the base trains on the whole stream; the gradient prior comes from the seeded sample
        self._base_network = self._base_model(stream).network_
        sample = stream.read(self._setup_sample(stream))
        self.gradient_prior_ = gradient_prior(rgb_to_lab(sample)[..., 1:])

    def _base_model(self, images):
        """The Zhang model to refine: ``base`` loaded, or trained here on ``images`` (an array or
        a FolderStream)."""
        if self.base is None:
            epochs = self.epochs if self.base_epochs is None else self.base_epochs
            return ZhangColorizer(size=self.size, image_size=self.image_size, epochs=epochs,
                                  batch_size=self.batch_size, learning_rate=self.learning_rate,
                                  seed=self.seed, verbose=self.verbose).fit(images)  # fmt: skip
        base = ZhangColorizer.load(self.base)
        if base.loss == "l2":
            raise ChromaLabError(f"base '{self.base}' is an L2 (ab regression) model; the refinement "
                                 "needs a distribution: train it with --loss full or class")
        return base

    def _build_model(self):
        base_network = self._base_network
        base_network.trainable = False  # trained by its own loss already; BatchNorm in inference mode
        network = build(base_network, residual=bool(self.residual))
        del self._base_network
        weights = rebalance_weights(self.gradient_prior_, REBALANCE_LAMBDA) if self.gradient_rebalance else None
        model = build_training_model(network)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=0.9, beta_2=0.99),
                      loss=CoherentLoss(self.loss_temperature, self.regularizer_weight, weights,
                                        self.lightness_weighting))  # fmt: skip
        return model

    def _training_data(self, images):
        return images, images

    def _decode(self, output):
        return annealed_mean_ops(output[..., :N_BINS], T=self.temperature)

    def _state(self):
        return {"gradient_prior": self.gradient_prior_.tolist()}

    def _restore(self, settings):
        prior = np.asarray(settings["gradient_prior"], dtype=np.float64)
        if prior.shape != (len(GRADIENT_EDGES),):
            raise ChromaLabError(f"gradient_prior must have {len(GRADIENT_EDGES)} values, got {prior.shape}")
        self.gradient_prior_ = prior

    def validate_params(self):
        super().validate_params()
        if self.base is not None and not isinstance(self.base, str):
            raise ChromaLabTypeError(f"base must be the folder of a trained Zhang model or None, got "
                                     f"{type(self.base).__name__}")  # fmt: skip
        ZhangColorizer(size=self.size, image_size=self.image_size).validate_params()  # size, image_size
        for name in ("residual", "gradient_rebalance", "lightness_weighting"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ChromaLabTypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_number(self.regularizer_weight, "regularizer_weight", low=0)
        check_number(self.loss_temperature, "loss_temperature", low=0, low_open=True)
        check_number(self.temperature, "temperature", low=0)
        if self.base_epochs is not None:
            check_int(self.base_epochs, "base_epochs", low=0)
