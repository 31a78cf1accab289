"""Iizuka, Simo-Serra and Ishikawa (2016), "Let there be Color!": the network and its colorizer.

Two paths over one grayscale image, joined by a fusion layer. The input is normalised lightness
(L - 50) / 100 of shape (H, W, 1), H and W any multiples of 8; the outputs are

* ``"ab"``: the colour at the input's own resolution, shape (H, W, 2), in Lab units. The output
  convolution ends in a sigmoid s in 0..1, mapped to ab = 110 (2 s - 1) with
  :data:`chroma_lab.color.AB_SCALE` (s = 0.5 is neutral gray); the loss compares s with the
  target's (ab / 110 + 1) / 2 (:func:`chroma_lab.losses.ab_to_unit`), the paper's target space.
* ``"scene"``: logits over ``num_classes`` scene classes (the paper: the 205 of Places).

The four networks of the paper's Figure 2, plus fusion and classification (the full sizes):

===========================  ======================================================  ==========
network (layer names)        layers: 3x3 conv channels / stride, or fully connected  resolution
===========================  ======================================================  ==========
low-level ``low_conv*``      64 /2, 128, 128 /2, 256, 256 /2, 512                    H/8
mid-level ``mid_conv*``      512, 256                                                H/8
global ``global_*``          resized to 224 x 224, the *same* low-level layers,      224/32 = 7
                             then 512 /2, 512, 512 /2, 512; FC 1024, 512, 256
classification ``class_*``   FC 256 (on global FC 512), FC num_classes: the logits   -
fusion ``fusion*``           the 256-vector tiled over the H/8 grid, put before      H/8
                             the mid-level features; 1x1 conv 256
colorization ``color_*``     128, up x2, 64, 64, up x2, 32, 3x3 conv 2 + sigmoid,    H/2 -> H
                             bilinear up x2 to the input size
===========================  ======================================================  ==========

BatchNorm and ReLU follow every convolution and fully connected layer except the two outputs
(``batch_norm=False`` keeps the ReLU only: the "no BatchNorm" failure of Wattanasirichaigoon's
report on this paper). The low-level layers are shared: the local path runs them at the input's
resolution, the global path on a 224 x 224 resized copy (a layer inside the graph), so the model has
a single input at any size and the global branch always flattens 7 x 7 x 512 values. ``full`` at 205
classes has 42,353,839 weights and biases (BatchNorm aside), 42,169,826 without the classification
head; ``small`` is every width / 4 with a 64 x 64 global input (:data:`CONFIGS`).
``use_global=False`` is the report's "model 4": no global branch, fusion or classifier; the
mid-level features feed the colorization network directly and the only output is "ab".

``build_training_model(network)`` puts :class:`~chroma_lab.models.keras_colorizer.LightnessFromRGB`
in front, so a model trains on uint8 RGB with the losses of
:func:`chroma_lab.losses.iizuka_compile_losses`: ``fit(x=rgb, y={"ab": rgb, "scene": labels})``.

:class:`IizukaColorizer` wraps it in the shared ``fit`` / ``colorize`` surface (training, resuming,
save / load from :class:`~chroma_lab.models.keras_colorizer.KerasColorizer`): ``fit(images,
labels)`` with scene labels (-1 or None: the colour loss alone), ``colorize`` at each image's own
resolution (the paper's point: the global path sees a resized copy, the local path the image),
``predict_classes`` for the scene.

Only keras layers and ``keras.ops``: the same file runs on TensorFlow, JAX and PyTorch. Under a
``mixed_bfloat16`` policy the global resize, both outputs and the ab mapping stay float32.

Why one file: STYLE.md wants one readable file per paper model, and this one
holds the paper's four networks, the fusion and resize layers and the colorizer that trains and
decodes them; the loss lives in :mod:`chroma_lab.losses`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from chroma_lab._checks import check_bool, check_choice, check_int, check_number
from chroma_lab.color import AB_SCALE, gray_to_lightness
from chroma_lab.data.streaming import FolderStream
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
from chroma_lab.losses import IIZUKA_ALPHA, UNLABELLED, iizuka_compile_losses
from chroma_lab.models.base import check_gray_batch, check_rgb_batch
from chroma_lab.models.keras_colorizer import KerasColorizer, LightnessFromRGB, walk_layers

SIZES = ("full", "small")
INPUT_MULTIPLE = 8  # three stride-2 convolutions: H and W must be multiples of 8
OPTIMIZERS = {"adadelta": 1.0, "adam": 1e-3}  # -> the default learning rate of each
# Colorizing runs at the image's own size up to this many pixels (a 1224x816 photo); a larger one
# is colorized at a copy of about this size and its ab upsampled (chroma is smooth, L stays sharp).
MAX_COLORIZE_PIXELS = 1 << 20


@dataclass(frozen=True)
class IizukaConfig:
    """The layout of the network, network by network (the paper's Table 1)."""

    # (a) Low-level features, shared by both paths: (channels, stride) of each 3x3 convolution.
    low: tuple = ((64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1))
    # (c) Mid-level features: channels of the 3x3 stride-1 convolutions.
    mid: tuple = (512, 256)
    # (b) Global features: (channels, stride) of the 3x3 convolutions, then fully connected sizes.
    global_convs: tuple = ((512, 2), (512, 1), (512, 2), (512, 1))
    global_fc: tuple = (1024, 512, 256)
    # Side of the square the global path sees (224 in the paper); a multiple of 32.
    global_size: int = 224
    # Classification: one hidden layer on global_fc[-2], then the logits.
    class_hidden: int = 256
    # Fusion: channels of the 1x1 convolution over [global vector; mid-level features].
    fusion: int = 256
    # (d) Colorization: channels of the 3x3 convolutions; nearest upsampling x2 after those listed.
    color: tuple = (128, 64, 64, 32)
    upsample_after: tuple = (1, 3)


CONFIGS = {
    "full": IizukaConfig(),
    # Every width / 4 and a 64x64 global input (2x2x128 values into the first FC layer).
    "small": IizukaConfig(
        low=((16, 2), (32, 1), (32, 2), (64, 1), (64, 2), (128, 1)),
        mid=(128, 64),
        global_convs=((128, 2), (128, 1), (128, 2), (128, 1)),
        global_fc=(256, 128, 64),
        global_size=64,
        class_hidden=64,
        fusion=64,
        color=(32, 16, 16, 8),
    ),
}


# ----------------------------------------------------------------------------------------------
# Layers of the two-path graph
# ----------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="chroma_lab")
class ResizeSquare(layers.Layer):
    """Images (n, H, W, C) of any size -> (n, size, size, C), bilinear with antialiasing.

    The global path's view of the image: the paper rescales every input to 224x224 for it, so the
    fully connected layers always see the same number of values. Runs in float32.
    """

    def __init__(self, size: int, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.size = check_int(size, "size", low=1)

    def call(self, images):
        return ops.image.resize(images, (self.size, self.size), interpolation="bilinear",
                                antialias=True)  # fmt: skip

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@keras.saving.register_keras_serializable(package="chroma_lab")
class Fusion(layers.Layer):
    """``[mid (n, h, w, Cm), global (n, Cg)]`` -> (n, h, w, Cg + Cm): the paper's fusion layer.

    The global vector is repeated at every position of the mid-level grid and put before the local
    features, [y_global; y_mid(u, v)] as in the paper's equation (1); the 1x1 convolution that
    follows is a separate layer (``fusion_conv``). Works for any h, w, known or not when the graph
    is built: broadcasting against a ones tensor of the grid's shape does the tiling.
    """

    def call(self, inputs):
        mid, vector = inputs
        tiled = ops.ones_like(mid[..., :1]) * vector[:, None, None, :]
        return ops.concatenate([tiled, mid], axis=-1)

    def compute_output_shape(self, input_shape):
        mid, vector = input_shape
        channels = None if mid[-1] is None or vector[-1] is None else mid[-1] + vector[-1]
        return tuple(mid[:-1]) + (channels,)


# ----------------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------------
def build(size: str = "full", num_classes: int = 205, use_global: bool = True,
          config: IizukaConfig | None = None, batch_norm: bool = True,
          name: str = "iizuka2016") -> keras.Model:  # fmt: skip
    """The colorization network, uncompiled.

    Parameters
    ----------
    size : {"full", "small"}
        The published network or the CPU-sized one (ignored when ``config`` is given).
    num_classes : int
        Scene classes of the classification head (the paper: 205).
    use_global : bool
        False drops the global branch, the fusion and the classifier (the report's "model 4").
    config : IizukaConfig, optional
    batch_norm : bool
        False leaves out every BatchNormalization layer (the report's failing models 1 and 2).
    name : str

    Returns
    -------
    keras.Model
        Input: normalised L, shape (n, H, W, 1), H and W multiples of 8. Outputs: a dict,
        ``{"ab": (n, H, W, 2) in Lab units, "scene": (n, num_classes) logits}``; only "ab" when
        ``use_global`` is False.
    """
    config = _check_config(CONFIGS[check_choice(size, "size", SIZES)] if config is None else config)
    num_classes = check_int(num_classes, "num_classes", low=1)
    check_bool(use_global, "use_global")
    check_bool(batch_norm, "batch_norm")

    l_norm = keras.Input(shape=(None, None, 1), name="l_norm")
    low_level = [_conv_block(f"low_conv{i}", width, stride, batch_norm)
                 for i, (width, stride) in enumerate(config.low, 1)]  # fmt: skip
    x = _chain(low_level, l_norm)
    for i, width in enumerate(config.mid, 1):
        x = _chain(_conv_block(f"mid_conv{i}", width, 1, batch_norm), x)
    outputs = {}
    if use_global:
        g, outputs["scene"] = _global_path(l_norm, low_level, config, num_classes, batch_norm)
        x = Fusion(name="fusion")([x, g])
        x = _chain(_conv_block("fusion_conv", config.fusion, 1, batch_norm, kernel=1), x)
    return keras.Model(l_norm, {"ab": _colorization(x, config, batch_norm), **outputs}, name=name)


def _check_config(config) -> IizukaConfig:
    """``config`` if its global input and its down- and upsampling fit together."""
    if not isinstance(config, IizukaConfig):
        raise ChromaLabTypeError(f"config must be an IizukaConfig, got {type(config).__name__}")
    if config.global_size % 32:
        raise ChromaLabError(f"config.global_size must be a multiple of 32 (five stride-2 layers), "
                             f"got {config.global_size}")
    strides = math.prod(stride for _, stride in config.low)
    if strides != 2 ** (len(config.upsample_after) + 1):  # the output is upsampled x2 once more
        raise ChromaLabError(f"config.low downsamples by {strides} but the colorization network "
                             f"upsamples by {2 ** (len(config.upsample_after) + 1)}: they must match")
    return config


def _global_path(l_norm, low_level, config, num_classes, batch_norm):
    """The global features (n, global_fc[-1]) and the scene logits (n, num_classes)."""
    g = ResizeSquare(config.global_size, name="global_resize")(l_norm)
    g = _chain(low_level, g)  # the same layer objects: shared weights
    for i, (width, stride) in enumerate(config.global_convs, 1):
        g = _chain(_conv_block(f"global_conv{i}", width, stride, batch_norm), g)
    g = layers.Flatten(name="global_flatten")(g)
    *hidden_fc, last_fc = config.global_fc
    for i, units in enumerate(hidden_fc, 1):
        g = _chain(_dense_block(f"global_fc{i}", units, batch_norm), g)
    # the classifier branches off the second-to-last FC layer (512 in the full network)
    c = _chain(_dense_block("class_fc1", config.class_hidden, batch_norm), g)
    # float32 head: logits feed a softmax and the loss, which bfloat16 would round coarsely
    scene = layers.Dense(num_classes, name="class_output", dtype="float32")(c)
    g = _chain(_dense_block(f"global_fc{len(config.global_fc)}", last_fc, batch_norm), g)
    return g, scene


def _colorization(x, config, batch_norm):
    """The colorization network: fused features at H/8 -> ab (n, H, W, 2) in Lab units."""
    for i, width in enumerate(config.color, 1):
        x = _chain(_conv_block(f"color_conv{i}", width, 1, batch_norm), x)
        if i in config.upsample_after:
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"color_upsample{i}")(x)
    s = layers.Conv2D(2, 3, padding="same", activation="sigmoid", name="color_output",
                      dtype="float32")(x)  # fmt: skip
    s = layers.UpSampling2D(2, interpolation="bilinear", name="color_upsample_output",
                            dtype="float32")(s)  # fmt: skip
    # sigmoid 0..1 -> ab = AB_SCALE (2 s - 1): 0.5 is neutral, 0 and 1 are -110 and +110
    return layers.Rescaling(2 * AB_SCALE, offset=-AB_SCALE, name="ab", dtype="float32")(s)


def build_training_model(network: keras.Model) -> keras.Model:
    """``network`` behind :class:`LightnessFromRGB`: uint8 RGB (n, H, W, 3) -> its output dict."""
    rgb = keras.Input(shape=(None, None, 3), dtype="uint8", name="rgb")
    l_norm = LightnessFromRGB(name="rgb_to_l")(rgb)
    return keras.Model(rgb, network(l_norm), name=f"{network.name}_train")


def parameter_count(model: keras.Model, head: bool = True) -> int:
    """Weights and biases of the convolutions and fully connected layers (BatchNorm not counted).

    ``head=False`` leaves out the classification layers (``class_*``). Shared layers count once.
    """
    seen, total = set(), 0
    for layer in walk_layers(model):
        if not isinstance(layer, (layers.Conv2D, layers.Dense)) or id(layer) in seen:
            continue
        seen.add(id(layer))
        if head or not layer.name.startswith("class_"):
            total += sum(math.prod(w.shape) for w in layer.weights)
    return total


# ----------------------------------------------------------------------------------------------
# The colorizer
# ----------------------------------------------------------------------------------------------
class IizukaColorizer(KerasColorizer):
    """Iizuka et al. (2016) as a colorizer: ``fit`` on uint8 RGB (+ scene labels), ``colorize`` gray.

    Parameters
    ----------
    size : {"small", "full"}
    use_global : bool
        False: no global branch, fusion or classifier (the report's "model 4").
    alpha : float
        Weight of the classification loss: loss = MSE(ab) + alpha * cross-entropy (paper: 1/300).
    optimizer : {"adadelta", "adam"}
        Adadelta (rho 0.95, epsilon 1e-6) as in the paper, or Adam.
    image_size : int
        Training images are centre-cropped and resized to this square (a multiple of 8).
        Colorizing does not resize to it: each image is colorized at its own size (rounded to a
        multiple of 8, at most :data:`MAX_COLORIZE_PIXELS`), its global path on the resized copy
        inside the network.
    epochs, batch_size : int
        ``epochs`` counts all epochs, over ``fit`` and every ``continue_fit``.
    learning_rate : float or None
        None: 1.0 for Adadelta (Zeiler 2012), 1e-3 for Adam.
    batch_norm : bool
        False leaves out every BatchNormalization (the report's failing models 1 and 2).
    seed : int
        Weight initialisation and the data order of every epoch.
    verbose : "auto", 0, 1 or 2

    Attributes
    ----------
    class_names_ : list of str or None
        The scene classes of the classification head; None when trained without labels (or
        without the global branch), which trains the colour loss alone.
    model_, network_, epochs_done_, history_
        As for every :class:`~chroma_lab.models.keras_colorizer.KerasColorizer`; ``history_``
        logs ``ab_loss`` and ``scene_loss`` (unweighted) beside the total ``loss``.
    """

    registry_name = "iizuka"
    predicts_at_training_scale = False  # fully convolutional: the paper colorizes at any size
    cli_options = {
        "--size": ("size", {"help": "network size: small (CPU, the default) or full (the paper's)"}),
        **KerasColorizer.cli_options,
        "--no-global": ("use_global", {"action": "store_false",
                                       "help": "no global branch, fusion or scene classifier"}),
        "--alpha": ("alpha", {"type": float, "help": "weight of the scene loss (default 1/300)"}),
        "--optimizer": ("optimizer", {"help": "adadelta (the paper's, default) or adam"}),
    }  # fmt: skip

    def __init__(self, size="small", use_global=True, alpha=IIZUKA_ALPHA, optimizer="adadelta",
                 image_size=64, epochs=20, batch_size=16, learning_rate=None, batch_norm=True,
                 seed=0, verbose="auto"):  # fmt: skip
        self.size = size
        self.use_global = use_global
        self.alpha = alpha
        self.optimizer = optimizer
        self.image_size = image_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.batch_norm = batch_norm
        self.seed = seed
        self.verbose = verbose

    # --- training: the base's, with scene labels ------------------------------------------------
    def fit(self, images, y=None, callbacks=None, class_names=None):
        """Train from scratch on uint8 RGB images (n, H, W, 3) and their scene labels; returns self.

        Parameters
        ----------
        images : ndarray of shape (n, H, W, 3), uint8
        y : array_like of shape (n,), optional
            The scene labels: class indices 0..C-1, or -1 (:data:`~chroma_lab.losses.UNLABELLED`)
            for an image without one; or class names (str), the classes then being the names in
            sorted order. None (or all -1): the colour loss alone, and no class head to ask.
        callbacks : list of keras.callbacks.Callback, optional
        class_names : sequence of str, optional
            With integer labels, the names of classes 0..C-1 (C = len); default "0" .. str(max label).
        """
        _refuse_stream(images)
        n = len(check_rgb_batch(images))
        self.validate_params()
        labels, class_names = _indices_of_names(y, class_names)
        self._labels, self._new_class_names = _scene_labels(labels, class_names, n, self.use_global)
        return super().fit(images, callbacks=callbacks)

    def continue_fit(self, images, y=None, callbacks=None):
        """Train up to ``epochs`` in all from where the model stopped, on the same images and labels.

        ``y`` may be left out in the session that called ``fit`` (its labels are kept); after
        ``load`` a model with a class head needs them again (indices, or names of its classes).
        """
        _refuse_stream(images)
        n = len(check_rgb_batch(images))
        labels, _ = _indices_of_names(y, getattr(self, "class_names_", None))
        if labels is not None or getattr(self, "_labels", None) is None or len(self._labels) != n:
            if labels is None and getattr(self, "class_names_", None):
                raise ChromaLabError(f"labels: this model was trained with {len(self.class_names_)} scene "
                                     "classes; pass the same labels to continue_fit")  # fmt: skip
            checked, names = _scene_labels(labels, self.class_names_, n, self.use_global)
            if names != self.class_names_:
                raise ChromaLabError(f"labels: the model was trained with class names {self.class_names_}, "
                                     f"these give {names}")  # fmt: skip
            self._labels = checked
        return super().continue_fit(images, callbacks=callbacks)

    def _setup(self, images):
        self.class_names_ = self._new_class_names

    def _build_model(self):
        classes = len(self.class_names_) if self.class_names_ else 1  # 1: an unused head
        network = build(self.size, num_classes=classes, use_global=self.use_global,
                        batch_norm=self.batch_norm)  # fmt: skip
        model = build_training_model(network)
        model.compile(optimizer=self._make_optimizer(),
                      **iizuka_compile_losses(self.alpha, self.use_global))  # fmt: skip
        return model

    def _make_optimizer(self):
        rate = self._learning_rate()
        if self.optimizer == "adam":
            return keras.optimizers.Adam(rate)
        return keras.optimizers.Adadelta(rate, rho=0.95, epsilon=1e-6)  # Zeiler (2012)

    def _learning_rate(self):
        return OPTIMIZERS.get(self.optimizer, 1.0) if self.learning_rate is None else self.learning_rate

    def _training_data(self, images):
        return images, self._labels

    def _batches(self, x, y):
        return _IizukaTargets(super()._batches(x, y), self.use_global)

    # --- colorizing ----------------------------------------------------------------------------
    def _decode(self, output):
        return output["ab"]

    def _prediction_side(self, height, width):
        return colorize_side(height, width)

    def predict_scenes(self, gray):
        """The colorizers' name for :meth:`predict_classes` (``chroma-lab colorize --classes``)."""
        return self.predict_classes(gray)

    def predict_classes(self, gray):
        """The scene of each grayscale image, from the class head on its global path.

        Parameters
        ----------
        gray : ndarray of shape (n, H, W), uint8

        Returns
        -------
        names : list of str, length n
            The most probable class of each image.
        probabilities : ndarray of shape (n, C)
            Softmax of the scene logits; columns follow ``class_names_``.
        """
        gray = check_gray_batch(gray)
        if not getattr(self, "class_names_", None):
            why = "without its global branch" if not self.use_global else "without scene labels"
            raise ChromaLabError(f"this {type(self).__name__} was trained {why}: it has no class head "
                                 "to predict scenes with")  # fmt: skip
        logits = [ops.convert_to_numpy(out["scene"]) for out in self._network_outputs(gray_to_lightness(gray))]
        probabilities = ops.convert_to_numpy(ops.softmax(np.concatenate(logits), axis=-1)).astype(np.float64)
        return [self.class_names_[i] for i in probabilities.argmax(axis=-1)], probabilities

    # --- saving and checks ---------------------------------------------------------------------
    def _state(self):
        return {"class_names": self.class_names_}

    def _restore(self, settings):
        names = settings["class_names"]
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
            raise ChromaLabError(f"class_names must be a list of str or null, got {names!r}")
        self.class_names_ = names

    def validate_params(self):
        check_choice(self.size, "size", SIZES)
        check_choice(self.optimizer, "optimizer", tuple(OPTIMIZERS))
        check_bool(self.use_global, "use_global")
        check_bool(self.batch_norm, "batch_norm")
        check_number(self.alpha, "alpha", low=0)
        check_int(self.image_size, "image_size", low=2 * INPUT_MULTIPLE)
        if self.image_size % INPUT_MULTIPLE:
            raise ChromaLabError(f"image_size must be a multiple of {INPUT_MULTIPLE} (three stride-2 "
                                 f"layers), got {self.image_size}")  # fmt: skip
        given = self.learning_rate
        try:  # None stands for the optimizer's default; the base checks the rate in use
            self.learning_rate = self._learning_rate()
            super().validate_params()
        finally:
            self.learning_rate = given


def colorize_side(height: int, width: int, max_pixels: int = MAX_COLORIZE_PIXELS) -> tuple:
    """The (h, w) an (height, width) image is colorized at: its own size rounded to multiples of 8,
    scaled down (aspect kept) to at most ``max_pixels``."""
    scale = min(1.0, math.sqrt(max_pixels / (height * width)))
    return tuple(max(INPUT_MULTIPLE, round(side * scale / INPUT_MULTIPLE) * INPUT_MULTIPLE)
                 for side in (height, width))  # fmt: skip


class _IizukaTargets(keras.utils.PyDataset):
    """Batches ``(rgb, labels)`` -> ``(rgb, {"ab": rgb, "scene": labels})``, the two losses' targets."""

    def __init__(self, batches, use_global):
        super().__init__()
        self.batches, self.use_global = batches, use_global

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        rgb, labels = self.batches[index]
        return rgb, ({"ab": rgb, "scene": labels} if self.use_global else {"ab": rgb})

    def set_epoch(self, epoch):
        self.batches.set_epoch(epoch)

    def on_epoch_begin(self):
        self.batches.on_epoch_begin()

    def on_epoch_end(self):
        self.batches.on_epoch_end()


def _refuse_stream(images):
    if isinstance(images, FolderStream):  # its labels would need the class mapping of load_dataset
        raise ChromaLabError("iizuka trains on images in memory with their scene labels; a "
                             "FolderStream (chroma-lab train --stream) is not supported yet")


def _indices_of_names(y, class_names):
    """(labels, class_names) for ``y``: integer labels as given; names (str) as indices into
    ``class_names``, by default their sorted distinct values."""
    if y is None:
        return None, class_names
    array = np.asarray(y)
    if array.dtype.kind not in "US":
        return y, class_names
    names = [str(name) for name in (sorted(set(array.tolist())) if class_names is None else class_names)]
    unknown = sorted(set(array.tolist()) - set(names))
    if unknown:
        raise ChromaLabError(f"labels: {unknown[:5]} are not among the model's classes {names}")
    lookup = {name: i for i, name in enumerate(names)}
    return np.array([lookup[name] for name in array.tolist()], dtype=np.int64).reshape(array.shape), names


def _scene_labels(labels, class_names, n, use_global):
    """Checked labels (n,) int32 (all UNLABELLED for None) and the class names of the head."""
    if labels is None:
        return np.full(n, UNLABELLED, np.int32), None
    array = np.asarray(labels)
    if array.shape != (n,) or array.dtype.kind not in "iu":
        raise ChromaLabError(f"labels must be {n} integers (one class index per image, -1 for none), "
                             f"got {array.dtype} array of shape {array.shape}")  # fmt: skip
    if array.min() < UNLABELLED:
        raise ChromaLabError(f"labels must be class indices >= 0 or {UNLABELLED} (unlabelled), got {array.min()}")
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if array.max() >= len(class_names):
            raise ChromaLabError(f"labels go up to {array.max()} but class_names has {len(class_names)} names")
    elif array.max() >= 0:
        class_names = [str(i) for i in range(array.max() + 1)]
    if not use_global or not class_names:
        return np.full(n, UNLABELLED, np.int32), None  # no head to train
    return array.astype(np.int32), class_names


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
def _conv_block(name, width, stride, batch_norm, kernel=3):
    conv = layers.Conv2D(width, kernel, strides=stride, padding="same", name=name)
    return _with_norm(conv, name, batch_norm)


def _dense_block(name, units, batch_norm):
    return _with_norm(layers.Dense(units, name=name), name, batch_norm)


def _with_norm(layer, name, batch_norm):
    # momentum 0.9 is Torch's 0.1 (the paper trained in Torch): the statistics follow the weights
    # within tens of steps rather than hundreds, which a short CPU run needs at inference time
    norm = [layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")] if batch_norm else []
    return [layer, *norm, layers.ReLU(name=f"{name}_relu")]


def _chain(blocks, x):
    """Apply a list of layers, or a list of such lists, in order."""
    for item in blocks:
        x = _chain(item, x) if isinstance(item, list) else item(x)
    return x


