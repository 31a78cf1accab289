"""Zhang, Isola and Efros (2016), "Colorful Image Colorization": the network and its colorizer.

The network maps normalised lightness (L - 50) / 100 of shape (H, W, 1) to 313 logits per pixel at
1/4 resolution: a distribution over the ab bins of :func:`chroma_lab.quantize.ab_bins`, decoded
into a colour by the annealed mean. Layer names follow the paper's caffe model (conv1_1 ...
conv8_313; conv1_2norm is the BatchNorm at the end of block 1). H and W must be multiples of 8
for the output to be exactly (H/4, W/4): three stride-2 convolutions halve the image three times
and conv8_1 doubles it back once.

* ``build(size="full")`` is the published network (32,230,393 convolution parameters, about 64
  GFLOP per 224x224 image); ``build(size="small")`` is the same layout at 1/4 to 1/8 of the width
  (613k parameters, 0.13 GFLOP per 64x64 image), which a 2-core CPU trains in minutes.
* ``build_training_model(network)`` puts :class:`LightnessFromRGB` in front: its input is uint8
  RGB, and the losses of :mod:`chroma_lab.losses` build their targets from the same RGB, so
  ``model.fit(x=rgb, y=rgb)`` trains it and only uint8 RGB travels to an accelerator.
* :class:`ZhangColorizer` wraps it all in the shared ``fit`` / ``colorize`` surface, with
  ``save`` / ``load`` (a ``.keras`` file plus a small JSON, no pickles).

Only keras layers and ``keras.ops``: the same file runs on TensorFlow, JAX and PyTorch. The output
convolution and the colour maths stay float32 under a ``mixed_bfloat16`` policy.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from chroma_lab.color import denormalize_ab, normalize_l, rgb_to_lab_ops
from chroma_lab.data import make_batches, resize_crop, split_lab
from chroma_lab.losses import LOSSES, OUTPUT_STRIDE, get_loss
from chroma_lab.models.base import Colorizer, check_rgb_batch
from chroma_lab.quantize import N_BINS, annealed_mean_ops, class_prior

SIZES = ("full", "small")
OUTPUTS = ("classes", "ab")
MODEL_FILE = "model.keras"
SETTINGS_FILE = "colorizer.json"
_FORMAT = "chroma_lab.zhang2016/1"


@dataclass(frozen=True)
class ZhangConfig:
    """The layout of the network, block by block (blocks 1..8 of the paper's Figure 2)."""

    # Channels of blocks conv1 .. conv8.
    widths: tuple = (64, 128, 256, 512, 512, 512, 512, 256)
    # Convolutions per block; in block 8 the first is the 4x4 stride-2 transposed convolution.
    depths: tuple = (2, 2, 3, 3, 3, 3, 3, 3)
    # The last convolution of these blocks has stride 2: 1/8 resolution after block 3.
    strided_blocks: tuple = (1, 2, 3)
    # Dilated ("a trous") blocks widen the receptive field without losing more resolution.
    dilated_blocks: tuple = (5, 6)
    dilation: int = 2


CONFIGS = {
    "full": ZhangConfig(),
    # The published widths / 4 in blocks 1-3 and / 8 from block 4 on: 613k parameters, over 50
    # training images/s at 64x64 on 2 CPU cores (a 4.2M-parameter layout managed 21). Block 8
    # runs at 1/4 resolution, so halving its width (64 -> 32) buys a third of the speed.
    "small": ZhangConfig(widths=(16, 32, 64, 64, 64, 64, 64, 32)),
}


# ----------------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="chroma_lab")
class LightnessFromRGB(layers.Layer):
    """RGB values 0..255 (uint8 or any dtype), shape (..., H, W, 3) -> normalised L* (..., H, W, 1).

    Runs in float32 whatever the global dtype policy: bfloat16 has 8 bits of mantissa, too few for
    the sRGB curve and the cube root of the Lab conversion.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, rgb):
        lab = rgb_to_lab_ops(ops.cast(rgb, "float32") / 255.0)
        return normalize_l(lab[..., :1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (1,)


def build(size: str = "full", output: str = "classes", config: ZhangConfig | None = None,
          name: str = "zhang2016") -> keras.Model:  # fmt: skip
    """The colorization network, uncompiled.

    Parameters
    ----------
    size : {"full", "small"}
        The published network or the CPU-sized one (ignored when ``config`` is given).
    output : {"classes", "ab"}
        ``"classes"``: 313 logits per pixel (layer ``conv8_313``); ``"ab"``: 2 channels of
        normalised ab for the L2 regression variant (layer ``conv8_ab``).
    config : ZhangConfig, optional
    name : str

    Returns
    -------
    keras.Model
        Input: normalised L, shape (n, H, W, 1) with H and W multiples of 8. Output: shape
        (n, H/4, W/4, 313) logits, or (n, H/4, W/4, 2).
    """
    if config is None:
        if size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, got {size!r}")
        config = CONFIGS[size]
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    l_norm = keras.Input(shape=(None, None, 1), name="l_norm")
    x = l_norm
    for block in range(1, 8):
        width, depth = config.widths[block - 1], config.depths[block - 1]
        dilation = config.dilation if block in config.dilated_blocks else 1
        for i in range(1, depth + 1):
            stride = 2 if (block in config.strided_blocks and i == depth) else 1
            x = layers.Conv2D(width, 3, strides=stride, dilation_rate=dilation, padding="same",
                              activation="relu", name=f"conv{block}_{i}")(x)  # fmt: skip
        x = layers.BatchNormalization(name=f"conv{block}_{depth}norm")(x)
    width = config.widths[7]
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", activation="relu",
                               name="conv8_1")(x)  # 4x4, stride 2: back up to 1/4 resolution
    for i in range(2, config.depths[7] + 1):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv8_{i}")(x)
    # float32 head: logits feed a softmax and the loss, which bfloat16 would round coarsely
    if output == "classes":
        out = layers.Conv2D(N_BINS, 1, name="conv8_313", dtype="float32")(x)
    else:
        out = layers.Conv2D(2, 1, name="conv8_ab", dtype="float32")(x)
    return keras.Model(l_norm, out, name=name)


def build_training_model(network: keras.Model) -> keras.Model:
    """``network`` behind :class:`LightnessFromRGB`: uint8 RGB (n, H, W, 3) -> its output."""
    rgb = keras.Input(shape=(None, None, 3), dtype="uint8", name="rgb")
    l_norm = LightnessFromRGB(name="rgb_to_l")(rgb)
    return keras.Model(rgb, network(l_norm), name=f"{network.name}_train")


def conv_parameters(model: keras.Model) -> int:
    """Weights and biases of the Conv2D / Conv2DTranspose layers (BatchNorm not counted)."""
    convs = [la for la in _walk(model) if isinstance(la, (layers.Conv2D, layers.Conv2DTranspose))]
    return int(sum(np.prod(w.shape) for la in convs for w in la.weights))


def conv_flops(model: keras.Model, height: int, width: int) -> int:
    """Forward FLOPs of the convolutions for one (height, width) image: 2 x multiply-adds.

    Shapes are propagated layer by layer through the chain of layers of :func:`build`.
    """
    shape, total = (1, height, width, 1), 0
    for layer in _walk(model):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        out = tuple(layer.compute_output_shape(shape))
        if isinstance(layer, layers.Conv2DTranspose):  # each input pixel scatters a k x k patch
            kh, kw = layer.kernel_size
            total += shape[1] * shape[2] * shape[3] * kh * kw * out[3]
        elif isinstance(layer, layers.Conv2D):
            kh, kw = layer.kernel_size
            total += out[1] * out[2] * out[3] * kh * kw * shape[3]
        shape = out
    return 2 * total


def decode_ab(output, temperature: float = 0.38):
    """Network output -> ab in Lab units, shape (n, h, w, 2), with ``keras.ops``.

    313 logits are decoded by the annealed mean (:func:`chroma_lab.quantize.annealed_mean_ops`):
    T = 1 is the mean of the predicted distribution, T = 0 its mode, the paper's T = 0.38 in
    between. Two channels (the L2 variant) are de-normalised ab.
    """
    if output.shape[-1] == 2:
        return denormalize_ab(ops.cast(output, "float32"))
    return annealed_mean_ops(output, T=temperature, from_logits=True)


def _walk(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _walk(layer)
        else:
            yield layer


# ----------------------------------------------------------------------------------------------
# The colorizer
# ----------------------------------------------------------------------------------------------
class ZhangColorizer(Colorizer):
    """Zhang et al. (2016) as a colorizer: ``fit`` on uint8 RGB, ``colorize`` uint8 gray.

    Parameters
    ----------
    size : {"small", "full"}
    loss : {"full", "class", "l2"}
        The rows of the paper's Table 1: rebalanced classification, plain classification, L2.
    image_size : int
        Training images are centre-cropped and resized to this square (a multiple of 8). At
        colorization time the lightness is resized to it too, as the reference code resizes to
        256x256; the predicted ab is upsampled to the input's own size and recombined with its
        full-resolution L.
    epochs, batch_size : int
    temperature : float
        Annealed-mean temperature for decoding (0.38 in the paper; 0 = mode, 1 = mean).
    learning_rate : float
        Adam with beta_1 = 0.9, beta_2 = 0.99 as in the paper. The paper's 3e-5 suits 1.3 M
        ImageNet images and BatchNorm-free fine-tuning; from scratch on a few hundred images over
        a few hundred steps the small network needs 1e-3 to move off the gray prior at all.
    seed : int
        Weight initialisation and the data order of every epoch (epoch e uses ``(seed, e)``).
    verbose : "auto", 0, 1 or 2
        Keras progress output.

    Attributes
    ----------
    model_ : keras.Model
        The training model (uint8 RGB -> network output), compiled with its loss and optimizer.
    network_ : keras.Model
        The network of :func:`build` inside it (normalised L -> output).
    prior_ : ndarray of shape (313,)
        Class prior of the training images (:func:`chroma_lab.quantize.class_prior`).
    epochs_done_ : int
        Epochs trained so far (from the optimizer's step counter, saved with the model).
    """

    def __init__(self, size="small", loss="full", image_size=64, epochs=20, batch_size=16,
                 temperature=0.38, learning_rate=1e-3, seed=0, verbose="auto"):  # fmt: skip
        self.size = size
        self.loss = loss
        self.image_size = image_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.temperature = temperature
        self.learning_rate = learning_rate
        self.seed = seed
        self.verbose = verbose

    # --- training ------------------------------------------------------------------------------
    def fit(self, images, callbacks=None):
        """Train from scratch on uint8 RGB images (n, H, W, 3); returns self.

        ``callbacks`` are Keras callbacks (checkpoints, logs); they may call ``colorize``.
        """
        self._validate()
        images = self._prepare(check_rgb_batch(images))
        keras.utils.set_random_seed(self.seed)
        self.prior_ = class_prior(split_lab(images)[1])  # once, in NumPy, on the training set
        network = build(self.size, "ab" if self.loss == "l2" else "classes")
        self.model_ = build_training_model(network)
        self.model_.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=0.9, beta_2=0.99),
            loss=get_loss(self.loss, self.prior_),
        )
        # built now, so that even an untrained model saves (and reloads) its optimizer slots
        self.model_.optimizer.build(self.model_.trainable_variables)
        self.steps_per_epoch_ = math.ceil(len(images) / self.batch_size)
        self.is_fitted_ = True  # callbacks may colorize samples between epochs
        return self.continue_fit(images, callbacks=callbacks)

    def continue_fit(self, images, callbacks=None):
        """Train up to ``self.epochs`` epochs in all, from where the model stopped (after ``load``).

        The images must be the ones ``fit`` started with: epoch e sees them in the order drawn
        from ``(seed, e)``, so an interrupted and resumed run sees the same batches as an
        uninterrupted one.
        """
        self._check_fitted()
        self._validate()
        images = self._prepare(check_rgb_batch(images))
        steps = math.ceil(len(images) / self.batch_size)
        if steps != self.steps_per_epoch_:
            raise ValueError(f"images give {steps} batches of {self.batch_size} per epoch but the "
                             f"model was trained with {self.steps_per_epoch_}: resume on the same data")
        start = self.epochs_done_
        batches = make_batches(images, images, batch_size=self.batch_size, seed=self.seed)
        for _ in range(start):  # replay the per-epoch reshuffles of the epochs already done
            batches.on_epoch_end()
        if start < self.epochs:
            self.history_ = self.model_.fit(batches, epochs=self.epochs, initial_epoch=start,
                                            shuffle=False, verbose=self.verbose,
                                            callbacks=list(callbacks or []))  # fmt: skip
        return self

    def _fit(self, images):  # the base class's hook; fit() is overridden to take callbacks
        self.fit(images)

    @property
    def network_(self) -> keras.Model:
        self._check_fitted()
        return next(la for la in self.model_.layers if isinstance(la, keras.Model))

    @property
    def epochs_done_(self) -> int:
        self._check_fitted()
        return int(ops.convert_to_numpy(self.model_.optimizer.iterations)) // self.steps_per_epoch_

    # --- colorizing ----------------------------------------------------------------------------
    def _predict_ab(self, L):
        n, height, width = L.shape
        side = self.image_size
        out = []
        for start in range(0, n, self.batch_size):
            chunk = L[start : start + self.batch_size, ..., None]
            l_norm = ops.convert_to_tensor(normalize_l(chunk), "float32")
            if (height, width) != (side, side):  # the scale the network was trained at
                l_norm = ops.image.resize(l_norm, (side, side), antialias=True)
            ab = decode_ab(self.network_(l_norm, training=False), self.temperature)
            ab = ops.image.resize(ab, (height, width), interpolation="bilinear")
            out.append(ops.convert_to_numpy(ab))
        return np.concatenate(out).astype(np.float64)

    # --- saving --------------------------------------------------------------------------------
    def save(self, directory) -> None:
        """Write ``directory/model.keras`` (with optimizer state) and ``directory/colorizer.json``.

        Each file is written under a temporary name in the same folder and moved into place with
        ``os.replace``, so a run killed mid-save leaves the previous complete files.
        """
        self._check_fitted()
        folder = Path(directory)
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"'{folder}' is a file; save needs a folder")
        folder.mkdir(parents=True, exist_ok=True)
        settings = {"format": _FORMAT, **self._params(), "steps_per_epoch": self.steps_per_epoch_,
                    "prior": self.prior_.tolist()}  # fmt: skip
        tmp = folder / f".{SETTINGS_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(settings, indent=1))
        os.replace(tmp, folder / SETTINGS_FILE)
        tmp = folder / f".model.{os.getpid()}.tmp.keras"  # keras wants the .keras suffix
        self.model_.save(tmp)
        os.replace(tmp, folder / MODEL_FILE)

    @classmethod
    def load(cls, directory) -> "ZhangColorizer":
        """Read a colorizer written by :meth:`save` (``safe_mode=True``: no code is loaded)."""
        folder = Path(directory)
        files = [folder / SETTINGS_FILE, folder / MODEL_FILE]
        if not all(f.is_file() for f in files):
            raise FileNotFoundError(f"'{folder}' holds no saved ZhangColorizer: expected "
                                    f"{SETTINGS_FILE} and {MODEL_FILE} in it")
        try:
            settings = json.loads(files[0].read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"'{files[0]}' is not valid JSON ({exc})") from exc
        if not isinstance(settings, dict) or settings.get("format") != _FORMAT:
            raise ValueError(f"'{files[0]}' is not a chroma_lab Zhang colorizer ({_FORMAT})")
        obj = cls(**{key: settings[key] for key in cls()._params()})
        obj._validate()
        obj.prior_ = np.asarray(settings["prior"], dtype=np.float64)
        obj.steps_per_epoch_ = int(settings["steps_per_epoch"])
        obj.model_ = keras.saving.load_model(files[1], safe_mode=True)
        obj.is_fitted_ = True
        return obj

    # --- helpers -------------------------------------------------------------------------------
    def _params(self) -> dict:
        names = ("size", "loss", "image_size", "epochs", "batch_size", "temperature",
                 "learning_rate", "seed", "verbose")  # fmt: skip
        return {name: getattr(self, name) for name in names}

    def _validate(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, got {self.size!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        for name in ("image_size", "epochs", "batch_size", "seed"):
            value = getattr(self, name)
            low = 0 if name in ("epochs", "seed") else 1
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if self.image_size % (2 * OUTPUT_STRIDE):
            raise ValueError(f"image_size must be a multiple of 8 (three stride-2 layers), "
                             f"got {self.image_size}")
        if not (isinstance(self.temperature, (int, float)) and self.temperature >= 0):
            raise ValueError(f"temperature must be a number >= 0, got {self.temperature!r}")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a number > 0, got {self.learning_rate!r}")
        if self.verbose not in ("auto", 0, 1, 2):
            raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {self.verbose!r}")

    def _check_fitted(self) -> None:
        if not getattr(self, "is_fitted_", False):
            raise RuntimeError("this ZhangColorizer is not fitted yet: call fit(images) first")

    def _prepare(self, images: np.ndarray) -> np.ndarray:
        side = self.image_size
        if images.shape[1:3] == (side, side):
            return images
        return np.stack([resize_crop(image, side) for image in images])
