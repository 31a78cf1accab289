"""Zhang, Isola and Efros (2016), "Colorful Image Colorization": the network and its colorizer.

The network maps normalised lightness (L - 50) / 100 of shape (H, W, 1) to 313 logits per pixel at
1/4 resolution: a distribution over the ab bins of :func:`chroma_lab.quantize.ab_bins`, decoded
into a colour by the annealed mean. Layer names follow the paper's caffe model (conv1_1 ...
conv8_313; conv1_2norm is the BatchNorm at the end of block 1). The layout (Figure 2 of the paper;
:class:`ZhangConfig`), with input side S:

=====  ==========  ===========  =====  ======  ========  ==========
block  width full  width small  depth  stride  dilation  output
=====  ==========  ===========  =====  ======  ========  ==========
conv1  64          16           2      2       1         S/2
conv2  128         32           2      2       1         S/4
conv3  256         64           3      2       1         S/8
conv4  512         64           3      1       1         S/8
conv5  512         64           3      1       2         S/8
conv6  512         64           3      1       2         S/8
conv7  512         64           3      1       1         S/8
conv8  256         32           3      1/2     1         S/4, 313
=====  ==========  ===========  =====  ======  ========  ==========

The stride is that of a block's last convolution, padded by 1 pixel on every side as in the
released Caffe/PyTorch model (a ``ZeroPadding2D`` named ``convB_Mpad`` before it); conv8_1 is a
4x4 transposed convolution of stride 2, and conv8_313 the 1x1 head. So the input side must be a
multiple of 8 (:attr:`ZhangConfig.input_multiple`, one halving per strided block) and the output
stride is 4 (:attr:`ZhangConfig.output_stride`, which the losses receive from here).

Where the paper's equations live:

* soft-encoding of the ab targets on the 5 nearest bins, sigma 5 (Sec. 2.1):
  :func:`chroma_lab.quantize.soft_encode` / ``soft_encode_ops`` (``SOFT_K``, ``SOFT_SIGMA``);
* the multinomial cross-entropy, eq. 2: :mod:`chroma_lab.losses` (``rebalanced_crossentropy``);
* class rebalancing, eq. 3-4: :func:`chroma_lab.quantize.class_prior` (over a training set,
  a chunk at a time: :func:`chroma_lab.data.image_class_prior`) and
  :func:`~chroma_lab.quantize.rebalance_weights` (``REBALANCE_LAMBDA``), applied per pixel in
  :func:`chroma_lab.losses.zhang_targets`;
* the annealed mean, eq. 5: :func:`chroma_lab.quantize.annealed_mean` / ``annealed_mean_ops``
  (``ANNEALED_T``), called by :func:`decode_ab`.

* ``build(size="full")`` is the published network (32,230,393 convolution parameters, about 64
  GFLOP per 224x224 image), layer for layer the released ECCV16 one (its padding and BatchNorm
  epsilon), so :mod:`~chroma_lab.models.zhang2016_published` loads the authors' weights into
  it; ``build(size="small")`` is the same layout at 1/4 to 1/8 of the width (613k parameters,
  0.13 GFLOP per 64x64 image), which a 2-core CPU trains in minutes.
* ``build_training_model(network)`` puts :class:`LightnessFromRGB` in front: its input is uint8
  RGB, and the losses of :mod:`chroma_lab.losses` build their targets from the same RGB, so
  ``model.fit(x=rgb, y=rgb)`` trains it and only uint8 RGB travels to an accelerator.
* :class:`ZhangColorizer` wraps it all in the shared ``fit`` / ``colorize`` surface; training,
  resuming and ``save`` / ``load`` come from :class:`~chroma_lab.models.keras_colorizer.KerasColorizer`.

Only keras layers and ``keras.ops``: the same file runs on TensorFlow, JAX and PyTorch. The output
convolution and the colour maths stay float32 under a ``mixed_bfloat16`` policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from chroma_lab._checks import check_choice, check_int, check_number
from chroma_lab.color import denormalize_ab
from chroma_lab.data import image_class_prior
from chroma_lab.data.streaming import streamed_class_prior
from chroma_lab.errors import ChromaLabError
from chroma_lab.losses import LOSSES, get_loss
from chroma_lab.models.keras_colorizer import KerasColorizer, LightnessFromRGB, walk_layers
from chroma_lab.models.registry import MODEL_FILE, SETTINGS_FILE  # noqa: F401 - re-exported
from chroma_lab.quantize import ANNEALED_T, N_BINS, annealed_mean_ops
from chroma_lab.resources import zhang2016_imagenet_prior

SIZES = ("full", "small")
# The class prior of the rebalanced loss: the training data's, or the paper's ImageNet one
PRIOR_SOURCES = ("data", "imagenet")
OUTPUTS = ("classes", "ab")
# Caffe's and PyTorch's BatchNorm epsilon (Keras' default is 1e-3), so the released weights
# (:mod:`chroma_lab.models.zhang2016_published`) give the released network's outputs.
BN_EPSILON = 1e-5


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

    @property
    def input_multiple(self) -> int:
        """Input sides must be multiples of this for exact shapes: one halving per strided block."""
        return 2 ** len(self.strided_blocks)

    @property
    def output_stride(self) -> int:
        """Input pixels per output pixel along a side: conv8_1 doubles the resolution back once."""
        return self.input_multiple // 2


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
        config = CONFIGS[check_choice(size, "size", SIZES)]
    check_choice(output, "output", OUTPUTS)
    l_norm = keras.Input(shape=(None, None, 1), name="l_norm")
    x = l_norm
    for block in range(1, 8):
        width, depth = config.widths[block - 1], config.depths[block - 1]
        dilation = config.dilation if block in config.dilated_blocks else 1
        for i in range(1, depth + 1):
            conv, strided = f"conv{block}_{i}", block in config.strided_blocks and i == depth
            if strided:  # 1 pixel all round as Caffe/PyTorch pad; Keras' "same" would pad 0
                x = layers.ZeroPadding2D(1, name=f"{conv}pad")(x)  # before, 1 after: a shifted grid
            x = layers.Conv2D(width, 3, strides=2 if strided else 1, dilation_rate=dilation,
                              padding="valid" if strided else "same", activation="relu",
                              name=conv)(x)  # fmt: skip
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"conv{block}_{depth}norm")(x)
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
    convs = [la for la in walk_layers(model) if isinstance(la, (layers.Conv2D, layers.Conv2DTranspose))]
    return int(sum(np.prod(w.shape) for la in convs for w in la.weights))


def conv_flops(model: keras.Model, height: int, width: int) -> int:
    """Forward FLOPs of the convolutions for one (height, width) image: 2 x multiply-adds.

    Shapes are propagated layer by layer through the chain of layers of :func:`build`.
    """
    shape, total = (1, height, width, 1), 0
    for layer in walk_layers(model):
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


def decode_ab(output, temperature: float = ANNEALED_T):
    """Network output -> ab in Lab units, shape (n, h, w, 2), with ``keras.ops``.

    313 logits are decoded by the annealed mean (:func:`chroma_lab.quantize.annealed_mean_ops`):
    T = 1 is the mean of the predicted distribution, T = 0 its mode, the paper's T = 0.38 in
    between (eq. 5). Two channels (the L2 variant) are de-normalised ab.
    """
    if output.shape[-1] == 2:
        return denormalize_ab(ops.cast(output, "float32"))
    return annealed_mean_ops(output, T=temperature, from_logits=True)


# ----------------------------------------------------------------------------------------------
# The colorizer
# ----------------------------------------------------------------------------------------------
class ZhangColorizer(KerasColorizer):
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
        ``epochs`` counts all epochs, over ``fit`` and every ``continue_fit``.
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
    prior_source : {"data", "imagenet"}
        The class prior of the rebalanced loss: ``"data"`` computes it from the training images
        (a :class:`~chroma_lab.data.FolderStream` streams it over a seeded sample of
        ``SETUP_SAMPLE`` files); ``"imagenet"`` takes the paper's, shipped in
        :mod:`chroma_lab.resources`.

    Attributes
    ----------
    model_ : keras.Model
        The training model (uint8 RGB -> network output), compiled with its loss and optimizer.
    network_ : keras.Model
        The network of :func:`build` inside it (normalised L -> output).
    prior_ : ndarray of shape (313,)
        Class prior of the training images (:func:`chroma_lab.quantize.class_prior`), or the
        published ImageNet one (:func:`chroma_lab.resources.zhang2016_imagenet_prior`).
    weights_ : str or None
        Where the weights come from when not trained here: ``"eccv16"`` for the released ones
        (:meth:`from_network`, ``chroma-lab import-weights``); None otherwise.
    epochs_done_ : int
        Epochs trained so far (from the optimizer's step counter, saved with the model).
    history_ : dict of str -> list of float
        Per-epoch logs, e.g. ``history_["loss"]``.
    """

    registry_name = "zhang"
    cli_options = {
        "--size": ("size", {"help": "network size: small (CPU, the default) or full (the paper's)"}),
        "--loss": ("loss", {"help": "full (rebalanced, default), class or l2 (Table 1 of the paper)"}),
        **KerasColorizer.cli_options,
        "--prior": ("prior_source", {"metavar": "data|imagenet",
                                     "help": "the class prior: data (of the training images, default) "
                                             "or imagenet (the paper's published one)"}),
    }  # fmt: skip

    def __init__(self, size="small", loss="full", image_size=64, epochs=20, batch_size=16,
                 temperature=ANNEALED_T, learning_rate=1e-3, seed=0, verbose="auto",
                 prior_source="data"):  # fmt: skip
        self.size = size
        self.loss = loss
        self.image_size = image_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.temperature = temperature
        self.learning_rate = learning_rate
        self.seed = seed
        self.verbose = verbose
        self.prior_source = prior_source

    @classmethod
    def from_network(cls, network, prior, weights: str, **params):
        """A fitted colorizer around a network trained elsewhere (the released ECCV16 weights).

        Parameters
        ----------
        network : keras.Model
            :func:`build` of ``params["size"]`` with its weights set.
        prior : ndarray of shape (313,)
            The class prior of its training set, for the loss of a later ``continue_fit``.
        weights : str
            Where the weights come from, saved as ``"weights"`` in ``colorizer.json``.
        **params
            Parameters of the colorizer; ``epochs`` defaults to 0 (no epoch trained here).
        """
        obj = cls(**{"epochs": 0, **params})
        obj.validate_params()
        obj._restore({"prior": prior, "weights": weights})
        obj.model_ = obj._build_model(network)
        obj.model_.optimizer.build(obj.model_.trainable_variables)
        obj.steps_per_epoch_, obj.history_, obj.is_fitted_ = 1, {}, True
        return obj

    def _setup(self, images):
        if self.prior_source == "imagenet":
            self.prior_ = zhang2016_imagenet_prior()
        else:  # eq. 3-4: once, in NumPy, on the training set
            self.prior_ = image_class_prior(images)  # class_prior, a chunk of images at a time
        self.weights_ = None

    def _setup_stream(self, stream):
        # bin counts summed a batch at a time over the seeded sample: memory stays flat
        sample = len(self._setup_sample(stream))
        if self.prior_source == "imagenet":
            self.prior_ = zhang2016_imagenet_prior()
        else:
            self.prior_ = streamed_class_prior(stream, sample=sample, seed=self.seed)
        self.weights_ = None

    def _build_model(self, network=None):
        config = CONFIGS[self.size]
        if network is None:
            network = build(output="ab" if self.loss == "l2" else "classes", config=config)
        model = build_training_model(network)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=0.9, beta_2=0.99),
                      loss=get_loss(self.loss, self.prior_, stride=config.output_stride))  # fmt: skip
        return model

    def _training_data(self, images):
        return images, images  # the losses build their targets from the RGB images in the graph

    def _decode(self, output):
        return decode_ab(output, self.temperature)

    def _state(self):
        state = {"prior": self.prior_.tolist()}
        if self.weights_ is not None:
            state["weights"] = self.weights_
        return state

    def _restore(self, settings):
        prior = np.asarray(settings["prior"], dtype=np.float64)
        if prior.shape != (N_BINS,):
            raise ChromaLabError(f"prior must have {N_BINS} values, got shape {prior.shape}")
        weights = settings.get("weights")
        if weights is not None and not isinstance(weights, str):
            raise ChromaLabError(f"weights must be a name or absent, got {weights!r}")
        self.prior_, self.weights_ = prior, weights

    def validate_params(self):
        super().validate_params()
        check_choice(self.size, "size", SIZES)
        check_choice(self.loss, "loss", LOSSES)
        check_choice(self.prior_source, "prior_source", PRIOR_SOURCES)
        multiple = CONFIGS[self.size].input_multiple
        check_int(self.image_size, "image_size", low=multiple)
        if self.image_size % multiple:
            raise ChromaLabError(f"image_size must be a multiple of {multiple} (one halving per "
                                 f"stride-2 block), got {self.image_size}")  # fmt: skip
        check_number(self.temperature, "temperature", low=0)
