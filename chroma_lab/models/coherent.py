"""Coherent and colorful colorization: a refinement of Zhang et al. after a student report.

The report is *Coherent and Colorful Image Colorization* by Florian Stellbrink.

Zhang et al. (2016) predict a distribution over the 313 ab bins per pixel and decode it with the
annealed mean: the mode would be vivid but jumps between colours inside one surface, the mean is
coherent but dull. The report keeps the mode and makes it coherent instead: a second network
looks at the grayscale input and at the (upsampled, frozen) distribution of the base network, and
predicts a *refined* distribution whose mode is the output colour. Two losses train it:

* coherence, L_C (:func:`chroma_lab.losses.coherence_loss`): per pixel, the L2 distance between the horizontal and
  vertical ab gradients of the truth and of the prediction, the prediction's ab being the bin
  centres averaged under the temperature softmax f_T of the refined distribution (T = 0.01, close
  to the mode). It rewards colour edges where the truth has them and flatness where it is flat,
  without naming a colour;
* colour regularisation, L_R (:func:`chroma_lab.losses.color_regularizer`): 1 - Z . f_T(Z_hat) / max(Z) per pixel,
  0 when the refined mode is the base network's mode, 1 when the base gives it no probability.

The base network keeps its own rebalanced cross-entropy (it is lesson 5's
:class:`~chroma_lab.models.zhang2016.ZhangColorizer`, trained first or loaded from a folder), and
the refinement sees its logits through a stop-gradient, so the new losses never change it.

The report's own run collapsed to one colour per image. It proposes two fixes, both options of
:class:`CoherentColorizer` and of :class:`chroma_lab.losses.CoherentLoss`:

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

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from chroma_lab._checks import check_int, check_number
from chroma_lab.color import rgb_to_lab
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
# The refinement's losses live with the other training objectives, in chroma_lab.losses; the names
# below are the ones this model uses (and lesson 7 reaches through this module).
from chroma_lab.losses import (GRADIENT_EDGES, LOSS_T, CoherentLoss, ab_gradients, coherence_loss,  # noqa: F401
                               coherent_loss, color_regularizer, gradient_magnitude, gradient_prior,
                               gradient_weight_map, lightness_weight_map, lightness_weights)  # fmt: skip
from chroma_lab.models.keras_colorizer import KerasColorizer
from chroma_lab.models.zhang2016 import ZhangColorizer, build_training_model
from chroma_lab.quantize import N_BINS, REBALANCE_LAMBDA, annealed_mean_ops, rebalance_weights


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
# The network
# ----------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="chroma_lab")
class StopGradient(layers.Layer):
    """Identity forward, zero gradient backward: the new losses do not reach the base network."""

    def call(self, x):
        return ops.stop_gradient(x)


# The vote shares' floor before the log (EdgeAwareSmoothing with vote=True).
VOTE_FLOOR = 1e-4


@keras.saving.register_keras_serializable(package="chroma_lab")
class EdgeAwareSmoothing(layers.Layer):
    """Average logits over a window, each neighbour weighted by its distance and by how close its
    lightness is to the centre's (a joint bilateral filter guided by the gray image).

    The base network predicts at a quarter of the resolution; upsampled bilinearly, its logits
    blend the two surfaces of an edge over a few pixels, so the mode's colour edge falls where
    the blend crosses, not where the lightness changes. Averaged only over neighbours of the
    same lightness, each pixel takes the logits of its own surface: colour edges move onto
    lightness edges, and flips of the mode inside a surface are voted away.

    Inputs: ``[logits (n, H, W, C), l_norm (n, H, W, 1)]`` (l_norm = (L* - 50) / 100).

    Parameters
    ----------
    radius : int
        The window reaches ``radius`` pixels each way, sampled every ``step`` pixels.
    step : int
    sigma_space : float
        Spatial scale of the weights, pixels.
    sigma_lightness : float
        Lightness scale of the weights, L* units: neighbours that differ by a few times this
        count for almost nothing.
    vote : bool
        Average each pixel's *mode* (the one-hot of its argmax) instead of its logits, and
        return the log of the vote shares: the output's mode is the colour that most of the
        pixel's neighbours on its own surface have as their mode (a weighted majority). Averaged
        logits can tip to a third, duller colour between two vivid ones; a vote only picks among
        colours the base already chose somewhere.
    passes : int
        Apply the filter this many times (each pass reaches ``radius`` further along a surface).
    """

    def __init__(self, radius=8, step=2, sigma_space=6.0, sigma_lightness=5.0, vote=False, passes=1, **kwargs):
        super().__init__(**kwargs)
        self.radius = check_int(radius, "radius", low=1)
        self.step = check_int(step, "step", low=1)
        self.sigma_space = check_number(sigma_space, "sigma_space", low=0, low_open=True)
        self.sigma_lightness = check_number(sigma_lightness, "sigma_lightness", low=0, low_open=True)
        self.vote = bool(vote)
        self.passes = check_int(passes, "passes", low=1)

    def call(self, inputs):
        logits, l_norm = inputs
        if self.vote:
            logits = ops.one_hot(ops.argmax(logits, axis=-1), ops.shape(logits)[-1], dtype=logits.dtype)
        for _ in range(self.passes):
            logits = self._filter(logits, l_norm)
        # a share of 0 becomes a finite, very low logit, so that softmax and L_R stay finite
        return ops.log(logits + VOTE_FLOOR) if self.vote else logits

    def _filter(self, logits, l_norm):
        r = self.radius
        pad = [[0, 0], [r, r], [r, r], [0, 0]]
        logits_p, l_p = ops.pad(logits, pad, mode="symmetric"), ops.pad(l_norm, pad, mode="symmetric")
        scale = (self.sigma_lightness / 100.0) ** 2 * 2.0  # l_norm is L* / 100, shifted
        total, weight = 0.0, 0.0
        for dy in range(-r, r + 1, self.step):
            for dx in range(-r, r + 1, self.step):
                window = (slice(None), slice(r + dy, dy - r or None), slice(r + dx, dx - r or None))
                w = ops.exp(-ops.square(l_norm - l_p[window]) / scale
                            - (dy * dy + dx * dx) / (2.0 * self.sigma_space**2))  # fmt: skip
                total = total + w * logits_p[window]
                weight = weight + w
        return total / weight

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def get_config(self):
        return {**super().get_config(), "radius": self.radius, "step": self.step,
                "sigma_space": self.sigma_space, "sigma_lightness": self.sigma_lightness, "vote": self.vote,
                "passes": self.passes}  # fmt: skip


# The edge-aware vote of ``edge_aware="vote"``: two passes widen the vote along a surface.
EDGE_VOTE = {"vote": True, "passes": 2}


def build(base_network: keras.Model, config: CoherentConfig | None = None, residual: bool = True,
          edge_aware: bool = False, name: str = "coherent") -> keras.Model:  # fmt: skip
    """The coherent network around a base network (a Zhang et al. classes network), uncompiled.

    Parameters
    ----------
    base_network : keras.Model
        Normalised L (n, H, W, 1) -> 313 logits at 1/s resolution (:func:`zhang2016.build`).
    config : CoherentConfig, optional
    residual : bool
        Refined logits = upsampled base logits + a correction whose last layer starts at zero
        (True), or predicted from scratch as in the report (False).
    edge_aware : bool or "vote"
        Smooth the upsampled base logits along the gray image's surfaces
        (:class:`EdgeAwareSmoothing`): the residual starts from them and L_R compares with them.
        ``"vote"``: instead, each pixel takes the mode most of its surface's neighbours have
        (:data:`EDGE_VOTE`, two passes of the filter with ``vote=True``).
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
    if edge_aware == "vote":
        up_logits = EdgeAwareSmoothing(**EDGE_VOTE, name="edge_aware_313")([up_logits, l_norm])
    elif edge_aware:
        up_logits = EdgeAwareSmoothing(name="edge_aware_313")([up_logits, l_norm])
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
    """Stellbrink's refinement of a Zhang et al. network; ``fit`` on uint8 RGB, ``colorize`` gray.

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
    edge_aware : bool or "vote"
        Resample the base's logits along the gray image's surfaces (:class:`EdgeAwareSmoothing`)
        before the refinement starts from them and L_R compares with them; ``"vote"`` starts
        from the mode most of each pixel's own-surface neighbours have instead; False upsamples
        them bilinearly, as the report does.
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
                 lightness_weighting=True, edge_aware=False, regularizer_weight=1.0,
                 loss_temperature=LOSS_T, temperature=0.0, image_size=64, epochs=10, batch_size=16, learning_rate=1e-3,
                 base_epochs=None, seed=0, verbose="auto"):  # fmt: skip
        self.base = base
        self.size = size
        self.residual = residual
        self.gradient_rebalance = gradient_rebalance
        self.lightness_weighting = lightness_weighting
        self.edge_aware = edge_aware
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
        edge_aware = "vote" if self.edge_aware == "vote" else bool(self.edge_aware)
        network = build(base_network, residual=bool(self.residual), edge_aware=edge_aware)
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
        if not isinstance(self.edge_aware, (bool, np.bool_)) and self.edge_aware != "vote":
            raise ChromaLabTypeError(f"edge_aware must be True or False or 'vote', got {self.edge_aware!r}")
        check_number(self.regularizer_weight, "regularizer_weight", low=0)
        check_number(self.loss_temperature, "loss_temperature", low=0, low_open=True)
        check_number(self.temperature, "temperature", low=0)
        if self.base_epochs is not None:
            check_int(self.base_epochs, "base_epochs", low=0)
