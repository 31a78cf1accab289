"""Zhang, Zhu, Isola, Geng, Lin, Yu and Efros (2017), "Real-Time User-Guided Image Colorization with
Learned Deep Priors": the local-hints network and its colorizer.

The network takes lightness and a user's sparse colours and returns ab for every pixel. Its input
has 4 channels: normalised L (L - 50) / 100, the hint ab / 110 (0 where there is no hint) and the
mask minus 0.5 (+0.5 hinted, -0.5 not), as the released code centres it. Its layout is the 2016
network (:mod:`~chroma_lab.models.zhang2016`) turned into a U-Net: blocks 1-7 as there (blocks 5-6
dilated), each of blocks 1-3 followed by a subsampling (every other row and column, the released
code's ``x[:, :, ::2, ::2]``); then three decoder blocks, each a 4x4 stride-2 transposed
convolution plus a 3x3 "shortcut" convolution of the encoder block at that resolution, summed:

=====  ==========  ===========  =====  =========================================
block  width full  width small  depth  resolution / role
=====  ==========  ===========  =====  =========================================
conv1  64          16           2      S          (input: L, hint ab, mask)
conv2  128         32           2      S/2
conv3  256         64           3      S/4
conv4  512         64           3      S/8
conv5  512         64           3      S/8, dilation 2
conv6  512         64           3      S/8, dilation 2
conv7  512         64           3      S/8
conv8  256         64           3      S/4: conv8_1 (up) + conv3_3_short, 2 convs
conv9  128         32           2      S/2: conv9_1 (up) + conv2_2_short, 1 conv
conv10 128         32           2      S:   conv10_1 (up) + conv1_2_short, 1 conv
=====  ==========  ===========  =====  =========================================

Blocks 1-9 end in a BatchNorm (``convB_Mnorm``); conv10_2 uses a leaky ReLU (0.2); the head
``conv10_ab`` is a 1x1 convolution with tanh, times 110 for Lab units. ``build("full")`` has
34,045,314 convolution weights and biases (tests/test_guided2017.py counts them from the table);
the paper's second head (a 529-bin ab distribution at S/4, trained by classification, which drives
its colour suggestions) is left out: this course builds no suggestion palette.

Training (Sec. 3.2 of the paper): the user is simulated from the truth in the graph
(:class:`SimulatedHints`, the NumPy twin is :func:`chroma_lab.hints.sample_hints`): a geometric
number of points, each a square patch of side 1..9 around a Gaussian location near the centre,
showing the patch's mean true colour. The loss is the paper's smooth-L1 (Huber, delta 1 Lab unit)
on ab (:class:`HintHuberLoss`). Departures, and why:

* the number of points is geometric with p = ``TRAINING_P`` = 1/16 (``hint_p``, ``--hint-p``: 15
  points on average, none one time in 16), where the paper's p = 1/8 gives 7 and none one time in
  8. Trained on a couple of hundred photos with the paper's p, the small network leans on its
  automatic guess and under-uses hints beyond a few: on held-out photos it gained less from 10
  hints than Levin's optimisation did. Trained with more hints per image it follows them further
  (benchmarks/README.md, ``bench_hints.py``: the 10-hint result rises more than the automatic one
  falls); it still sees no hint often enough to stay an automatic colorizer;
* at most :func:`points_cap` points per image (48 for p = 1/8, which the geometric draw exceeds
  0.14 % of the time): the points are drawn as one fixed-size tensor, so the graph has static shapes;
* the patch sides stay the paper's 1..9 pixels although the small model trains at 64x64, where a
  9x9 patch covers 16 times more of the image than at 256x256: a dot a user clicks on a 256x256
  photo shrinks by 4 per side when the colorizer resizes it to 64x64 (see ``_predict_ab``),
  so a 1..2 pixel patch there is what a user's click becomes; larger ones are smudges;
* trained from scratch on a few hundred images with Adam at 1e-3, where the paper trains on the
  1.3 million ImageNet photos (as for the 2016 model, a small data set needs the larger step to
  move at all).

Colorizing: like the 2016 model, the lightness is resized to the training square and the ab back.
Hints are resized with it: a low-resolution pixel is hinted when any pixel it covers is, with the
mean of their hint colours. Then each hinted pixel of the photo shows its hint exactly (the
network's ab is replaced there, at the photo's own resolution): what a user expects of a dot, and
what Levin's constraints give by construction. The paper shows the network's output as it is; a
trained network already returns a hint's colour on a hint's pixels, so this changes little there,
but no upsampling or untrained corner can move a user's dot.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from chroma_lab._checks import check_choice, check_int, check_number
from chroma_lab.color import denormalize_ab, normalize_ab, normalize_l, rgb_to_lab_ops
from chroma_lab.errors import ChromaLabError
from chroma_lab.hints import GEOMETRIC_P, LOCATION_SPREAD, PATCH_SIZES
from chroma_lab.models.keras_colorizer import PREDICT_PIXELS, KerasColorizer, LightnessFromRGB, walk_layers

SIZES = ("full", "small")
SCHEDULES = ("constant", "cosine")
MAX_POINTS = 48  # the cap for the paper's p = 1/8 (see points_cap)
# The training user's geometric p: 15 points on average, not the paper's 7 (see the module's
# departures; benchmarks/README.md has the measurement)
TRAINING_P = 1 / 16
TRUNCATION = 0.0015  # the largest chance that a geometric count exceeds the cap
HUBER_DELTA = 1.0  # Lab units: the paper's delta = 1
MASK_CENTRE = 0.5  # the released code feeds mask - 0.5
BN_EPSILON = 1e-5


@dataclass(frozen=True)
class GuidedConfig:
    """The layout, block by block (see the module's table)."""

    # Channels of encoder blocks conv1 .. conv7.
    widths: tuple = (64, 128, 256, 512, 512, 512, 512)
    # Convolutions per encoder block.
    depths: tuple = (2, 2, 3, 3, 3, 3, 3)
    # Channels of decoder blocks conv8, conv9, conv10 (at 1/4, 1/2 and full resolution).
    up_widths: tuple = (256, 128, 128)
    # Layers per decoder block, the transposed convolution included.
    up_depths: tuple = (3, 2, 2)
    dilated_blocks: tuple = (5, 6)
    dilation: int = 2

    input_multiple = 8  # three halvings (after blocks 1, 2, 3)


CONFIGS = {
    "full": GuidedConfig(),
    # A quarter to an eighth of the widths, as Zhang's small network: a CPU trains it in minutes.
    "small": GuidedConfig(widths=(16, 32, 64, 64, 64, 64, 64), up_widths=(64, 32, 32)),
}


# ----------------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------------
def build(size: str = "full", config: GuidedConfig | None = None, name: str = "guided2017") -> keras.Model:
    """The local-hints network, uncompiled.

    Parameters
    ----------
    size : {"full", "small"}
        The published layout or the CPU one (ignored when ``config`` is given).
    config : GuidedConfig, optional
    name : str

    Returns
    -------
    keras.Model
        Input: shape (n, H, W, 4), channels normalised L, hint ab / 110, mask - 0.5 (see
        :func:`network_input`), H and W multiples of 8. Output: (n, H, W, 2) ab / 110 in -1..1.
    """
    if config is None:
        config = CONFIGS[check_choice(size, "size", SIZES)]
    inputs = keras.Input(shape=(None, None, 4), name="l_hints")
    x, skips = inputs, {}
    for block in range(1, 8):
        if block in (2, 3, 4):  # every other row and column of the previous block
            x = layers.AveragePooling2D(1, strides=2, name=f"conv{block - 1}_subsample")(x)
        dilation = config.dilation if block in config.dilated_blocks else 1
        depth = config.depths[block - 1]
        for i in range(1, depth + 1):
            x = layers.Conv2D(config.widths[block - 1], 3, padding="same", dilation_rate=dilation,
                              activation="relu", name=f"conv{block}_{i}")(x)  # fmt: skip
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"conv{block}_{depth}norm")(x)
        if block <= 3:
            skips[block] = (x, f"conv{block}_{depth}")
    for block, width, depth in zip((8, 9, 10), config.up_widths, config.up_depths):
        skip, skip_name = skips[11 - block]
        up = layers.Conv2DTranspose(width, 4, strides=2, padding="same", name=f"conv{block}_1")(x)
        short = layers.Conv2D(width, 3, padding="same", name=f"{skip_name}_short")(skip)
        x = layers.Add(name=f"conv{block}_1_sum")([up, short])
        x = layers.ReLU(name=f"conv{block}_1_relu")(x)
        for i in range(2, depth + 1):
            last = block == 10 and i == depth
            x = layers.Conv2D(width, 3, padding="same", name=f"conv{block}_{i}",
                              activation=None if last else "relu")(x)  # fmt: skip
        if block < 10:
            x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"conv{block}_{depth}norm")(x)
    x = layers.LeakyReLU(0.2, name="conv10_2_leaky")(x)
    out = layers.Conv2D(2, 1, activation="tanh", name="conv10_ab", dtype="float32")(x)
    return keras.Model(inputs, out, name=name)


def network_input(l_norm, hint_ab, mask):
    """The network's 4 input channels, with ``keras.ops``.

    Parameters
    ----------
    l_norm : tensor of shape (n, H, W, 1), normalised L (:func:`chroma_lab.color.normalize_l`)
    hint_ab : tensor of shape (n, H, W, 2), Lab units (ignored where ``mask`` is 0)
    mask : tensor of shape (n, H, W, 1), 1.0 where hinted, else 0.0

    Returns
    -------
    tensor of shape (n, H, W, 4): L, ab / 110 where hinted (else 0), mask - 0.5
    """
    mask = ops.cast(mask, "float32")
    hint = normalize_ab(ops.cast(hint_ab, "float32")) * mask
    return ops.concatenate([ops.cast(l_norm, "float32"), hint, mask - MASK_CENTRE], axis=-1)


def points_cap(p: float) -> int:
    """The most hint points :class:`SimulatedHints` draws for a geometric count with ``p``: the
    smallest K whose chance of being exceeded, (1 - p)^(K + 1), is at most ``TRUNCATION`` (48 for
    the paper's 1/8, exceeded 0.14 % of the time; 100 for 1/16, 0.15 %)."""
    return int(np.floor(np.log(TRUNCATION) / np.log(1.0 - p)))


def conv_parameters(model: keras.Model) -> int:
    """Weights and biases of the convolutions (BatchNorm not counted)."""
    convs = [la for la in walk_layers(model) if isinstance(la, (layers.Conv2D, layers.Conv2DTranspose))]
    return int(sum(np.prod(w.shape) for la in convs for w in la.weights))


# ----------------------------------------------------------------------------------------------
# Training: simulated users and the loss
# ----------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="chroma_lab")
class SimulatedHints(layers.Layer):
    """True ab (n, H, W, 2) -> simulated hints: ab (n, H, W, 2) and mask (n, H, W, 1).

    One uniform draw of shape (n, 1 + 3 ``max_points``) per call (so a resumed run re-draws the same
    hints: the generator's state is saved with the weights, see ``keras_colorizer._random_state``) gives, per image: the number of points
    (geometric, p), and per point the patch side (uniform over ``patch_sizes``) and a Gaussian
    location (Box-Muller) around the centre, sd ``spread`` times the free range, clipped inside.
    Each patch shows the mean true ab under it; a later point covers an earlier one.
    """

    def __init__(self, p=GEOMETRIC_P, patch_sizes=PATCH_SIZES, spread=LOCATION_SPREAD,
                 max_points=None, seed=None, **kwargs):  # fmt: skip
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.p, self.spread = float(p), float(spread)
        self.max_points = points_cap(self.p) if max_points is None else int(max_points)
        self.patch_sizes, self.seed = tuple(int(s) for s in patch_sizes), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def draw(self, batch: int, height: int, width: int):
        """The random draws: (active (n, K) bool, side (n, K), top (n, K), left (n, K)) integers."""
        k = self.max_points
        u = keras.random.uniform((batch, 1 + 3 * k), seed=self.seed_generator)
        count = ops.floor(ops.log(1.0 - u[:, :1]) / np.log(1.0 - self.p))  # geometric on 0, 1, ...
        active = ops.arange(k, dtype="float32")[None, :] < count
        sizes = ops.convert_to_tensor(np.array(self.patch_sizes, dtype="float32"))
        pick = ops.minimum(ops.floor(u[:, 1 : 1 + k] * len(self.patch_sizes)), len(self.patch_sizes) - 1)
        side = ops.take(sizes, ops.cast(pick, "int32"))
        radius = ops.sqrt(-2.0 * ops.log(1.0 - u[:, 1 + k : 1 + 2 * k]))  # Box-Muller: two normals
        angle = 2.0 * np.pi * u[:, 1 + 2 * k :]
        top = self._place(radius * ops.cos(angle), height, side)
        left = self._place(radius * ops.sin(angle), width, side)
        return active, side, top, left

    def _place(self, normal, size, side):
        positions = size - side + 1
        return ops.clip(ops.floor(positions / 2.0 + self.spread * positions * normal), 0.0, positions - 1.0)

    def call(self, ab):
        ab = ops.cast(ab, "float32")
        batch, height, width = ops.shape(ab)[0], ab.shape[1], ab.shape[2]
        active, side, top, left = self.draw(batch, height, width)
        rows = ops.arange(height, dtype="float32")[None, None, :]
        cols = ops.arange(width, dtype="float32")[None, None, :]
        in_rows = ops.cast((rows >= top[..., None]) & (rows < (top + side)[..., None]), "float32")
        in_cols = ops.cast((cols >= left[..., None]) & (cols < (left + side)[..., None]), "float32")
        cover = in_rows[..., :, None] * in_cols[..., None, :]  # (n, K, H, W)
        colours = ops.einsum("nkhw,nhwc->nkc", cover, ab) / (side * side)[..., None]
        # the last active point covering a pixel wins
        order = cover * (ops.cast(active, "float32") * ops.arange(1, self.max_points + 1, dtype="float32"))[..., None, None]
        top_order = ops.max(order, axis=1, keepdims=True)
        winner = ops.cast((order == top_order) & (top_order > 0), "float32")
        hint = ops.einsum("nkhw,nkc->nhwc", winner, colours)
        mask = ops.cast(top_order[:, 0] > 0, "float32")[..., None]
        return hint, mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape), tuple(input_shape[:-1]) + (1,)

    def get_config(self):
        return {**super().get_config(), "p": self.p, "patch_sizes": list(self.patch_sizes),
                "spread": self.spread, "max_points": self.max_points, "seed": self.seed}  # fmt: skip


def hint_huber(y_true, y_pred, delta: float = HUBER_DELTA):
    """The paper's smooth-L1 loss per pixel, in Lab units, summed over a and b.

    Parameters
    ----------
    y_true : tensor of shape (n, H, W, 3), RGB 0..255 (the training images)
    y_pred : tensor of shape (n, H, W, 2), ab / 110 (the network's output)

    Returns
    -------
    tensor of shape (n, H, W)
    """
    ab_true = rgb_to_lab_ops(ops.cast(y_true, "float32") / 255.0)[..., 1:]
    error = ops.abs(ab_true - denormalize_ab(ops.cast(y_pred, "float32")))
    quadratic = ops.minimum(error, delta)
    return ops.sum(0.5 * quadratic**2 + delta * (error - quadratic), axis=-1)


@keras.saving.register_keras_serializable(package="chroma_lab")
class HintHuberLoss(keras.losses.Loss):
    """:func:`hint_huber` as a serialisable Keras loss (mean over pixels)."""

    def __init__(self, delta=HUBER_DELTA, name="hint_huber", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = check_number(delta, "delta", low=0, low_open=True)

    def call(self, y_true, y_pred):
        return hint_huber(y_true, y_pred, self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


def build_training_model(network: keras.Model, seed: int = 0, p: float = GEOMETRIC_P) -> keras.Model:
    """uint8 RGB (n, H, W, 3) -> L and hints simulated from its colours (a geometric number of
    points with ``p``) -> ``network``'s ab."""
    rgb = keras.Input(shape=(None, None, 3), dtype="uint8", name="rgb")
    l_norm = LightnessFromRGB(name="rgb_to_l")(rgb)
    ab_true = TrueAb(name="rgb_to_ab")(rgb)
    hint_ab, mask = SimulatedHints(p=p, seed=seed, name="simulated_hints")(ab_true)
    x = NetworkInput(name="network_input")([l_norm, hint_ab, mask])
    return keras.Model(rgb, network(x), name=f"{network.name}_train")


@keras.saving.register_keras_serializable(package="chroma_lab")
class TrueAb(layers.Layer):
    """RGB 0..255 (n, H, W, 3) -> its Lab a*, b* (n, H, W, 2), float32."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, rgb):
        return rgb_to_lab_ops(ops.cast(rgb, "float32") / 255.0)[..., 1:]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2,)


@keras.saving.register_keras_serializable(package="chroma_lab")
class NetworkInput(layers.Layer):
    """[normalised L, hint ab, mask] -> the 4 channels of :func:`network_input`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        return network_input(*inputs)

    def compute_output_shape(self, input_shapes):
        return tuple(input_shapes[0][:-1]) + (4,)


# ----------------------------------------------------------------------------------------------
# The colorizer
# ----------------------------------------------------------------------------------------------
class GuidedColorizer(KerasColorizer):
    """Zhang et al. (2017), local hints: ``fit`` on uint8 RGB, ``colorize(gray, hints=(ab, mask))``.

    Parameters
    ----------
    size : {"small", "full"}
    image_size : int
        Training squares (a multiple of 8); at colorization the lightness and the hints are
        resized to it, the ab back to the photo's size.
    epochs, batch_size : int
    learning_rate : float
        Adam (beta_2 = 0.99 as in the paper).
    schedule : {"constant", "cosine"}
        Adam's step over the epochs (see :meth:`epoch_learning_rate`).
    hint_p : float
        The simulated user's geometric p in training (``TRAINING_P`` = 1/16; the paper's 1/8).
    seed : int
        Weights, the data order and the simulated hints.
    verbose : "auto", 0, 1 or 2

    Attributes
    ----------
    model_ : keras.Model
        The training model: uint8 RGB -> L and simulated hints -> the network's ab.
    network_ : keras.Model
        The network of :func:`build` (4 input channels -> ab / 110).
    """

    registry_name = "guided"
    takes_hints = True
    cli_options = {
        "--size": ("size", {"help": "network size: small (CPU, the default) or full (the paper's)"}),
        **KerasColorizer.cli_options,
        "--schedule": ("schedule", {"help": "Adam's step over the epochs: constant (the default) or cosine "
                                            "(decayed to a hundredth by the last epoch)"}),
        "--hint-p": ("hint_p", {"type": float, "help": "the simulated user's geometric p: a training image "
                                                       "gets k hint points with chance (1 - p)^k p (default "
                                                       "1/16; the paper's 1/8)"}),
    }  # fmt: skip

    def __init__(self, size="small", image_size=64, epochs=20, batch_size=16, learning_rate=1e-3,
                 schedule="constant", hint_p=TRAINING_P, seed=0, verbose="auto"):  # fmt: skip
        self.size = size
        self.image_size = image_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.hint_p = hint_p
        self.seed = seed
        self.verbose = verbose

    def _setup(self, images):
        pass  # nothing learnt before the network: no prior, no palette

    def _setup_stream(self, stream):
        self.setup_sample_ = 0  # nothing is learnt from a sample of the files

    def _restore(self, settings):
        # the simulated user a saved model was trained with is its own graph's (model.keras); a
        # folder written before hint_p existed was trained with the paper's p, say so
        self.hint_p = settings.get("hint_p", GEOMETRIC_P)

    def _build_model(self):
        model = build_training_model(build(config=CONFIGS[self.size]), seed=self.seed, p=self.hint_p)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=0.9, beta_2=0.99),
                      loss=HintHuberLoss())  # fmt: skip
        return model

    def continue_fit(self, images, y=None, callbacks=None):
        # the step of epoch e depends only on e and self.epochs, so a resumed run follows it too
        rate = keras.callbacks.LearningRateScheduler(lambda epoch, _: self.epoch_learning_rate(epoch))
        return super().continue_fit(images, y, callbacks=[rate, *(callbacks or [])])

    def epoch_learning_rate(self, epoch: int) -> float:
        """Adam's step in epoch ``epoch``: constant, or cosine-decayed from ``learning_rate`` to
        ``learning_rate`` / 100 at the last of ``epochs``."""
        if self.schedule == "constant":
            return float(self.learning_rate)
        progress = min(epoch / max(self.epochs - 1, 1), 1.0)
        return float(self.learning_rate * (0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * progress))))

    def _training_data(self, images):
        return images, images  # hints and targets are made from the RGB inside the graph
    def _decode(self, output):
        return denormalize_ab(ops.cast(output, "float32"))

    def _predict_ab(self, L, hint_ab, hint_mask):
        """ab (n, H, W, 2) for lightness L (n, H, W) and hints, at the training scale."""
        L = np.asarray(L, dtype=np.float64)
        n, height, width = L.shape
        side = self._prediction_side(height, width)
        small_ab, small_mask = resize_hints(hint_ab, hint_mask, side)
        step = max(1, PREDICT_PIXELS // (side[0] * side[1]))
        parts = []
        for start in range(0, n, step):
            part = slice(start, start + step)
            l_norm = ops.convert_to_tensor(normalize_l(L[part, ..., None]), "float32")
            if side != (height, width):
                l_norm = ops.image.resize(l_norm, side, antialias=True)
            x = network_input(l_norm, small_ab[part], small_mask[part, ..., None])
            ab = self._decode(self.network_(x, training=False))
            if side != (height, width):
                ab = ops.image.resize(ab, (height, width), interpolation="bilinear")
            parts.append(ops.convert_to_numpy(ab))
        ab = np.concatenate(parts).astype(np.float64)
        # a hinted pixel shows its hint, at the photo's own resolution (as Levin's constraints do)
        return np.where(np.asarray(hint_mask, dtype=bool)[..., None], hint_ab, ab)

    def validate_params(self):
        super().validate_params()
        check_choice(self.size, "size", SIZES)
        check_choice(self.schedule, "schedule", SCHEDULES)
        check_number(self.hint_p, "hint_p", low=0, high=1, low_open=True, high_open=True)
        multiple = GuidedConfig.input_multiple
        check_int(self.image_size, "image_size", low=multiple)
        if self.image_size % multiple:
            raise ChromaLabError(f"image_size must be a multiple of {multiple} (three halvings), "
                             f"got {self.image_size}")  # fmt: skip


def resize_hints(hint_ab, hint_mask, side) -> tuple:
    """Hints of shape (n, H, W, ...) -> (n, h, w, ...) at ``side`` = (h, w).

    A pixel of the small grid covers a block of the large one; it is hinted when any pixel of its
    block is, with their mean hint colour (a dot never vanishes, however small).
    """
    hint_ab, hint_mask = np.asarray(hint_ab, dtype=np.float64), np.asarray(hint_mask, dtype=bool)
    n, height, width = hint_mask.shape
    h, w = side
    if (h, w) == (height, width):
        return hint_ab.astype(np.float32), hint_mask.astype(np.float32)
    cell = (np.arange(height) * h // height)[:, None] * w + (np.arange(width) * w // width)[None, :]
    cells = (np.arange(n)[:, None, None] * h * w + cell[None]).ravel()
    weight = hint_mask.ravel().astype(np.float64)
    counts = np.bincount(cells, weights=weight, minlength=n * h * w)
    sums = np.stack([np.bincount(cells, weights=weight * hint_ab[..., c].ravel(), minlength=n * h * w)
                     for c in range(2)], axis=-1)  # fmt: skip
    ab = np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0)
    return ab.reshape(n, h, w, 2).astype(np.float32), (counts > 0).reshape(n, h, w).astype(np.float32)



