"""What every Keras colorizer shares: seeded, resumable training, chunked colorizing, save / load.

A subclass (:class:`~chroma_lab.models.zhang2016.ZhangColorizer`,
:class:`~chroma_lab.models.palette_cnn.PaletteCNNColorizer`, Iizuka et al.'s, the coherent and the
guided models) supplies only what differs:

* ``_setup(images)``: fit-time state learnt from the training images before the network exists
  (Zhang's class prior, the CNN's K-means palette);
* ``_build_model()``: the compiled training model, whose input is the first array of
  ``_training_data(images)``; the network of the paper sits inside it as a nested ``keras.Model``
  (:attr:`KerasColorizer.network_`) that maps normalised L (n, H, W, 1) to its raw output;
* ``_decode(output)``: raw network output -> ab in Lab units, shape (n, h, w, 2);
* ``_state()`` / ``_restore(settings)``: the extra state :meth:`save` writes to ``colorizer.json``.

Training: ``fit`` starts from scratch (``keras.utils.set_random_seed(seed)``); ``continue_fit``
trains up to ``epochs`` in all from where the model stopped. Epoch e sees the data in the order
drawn from ``(seed, e)`` (:func:`chroma_lab.data.make_batches`), and the epoch count lives in the
optimizer's step counter, saved inside ``model.keras``; so a run saved, loaded and continued ends
with the same weights as an uninterrupted one, bit for bit on a CPU.

Why one file: fitting, resuming, the saved random state and save / load share one contract (what
a checkpoint holds and how a run continues from it); split, each half would need the other's
details to be read.
"""

from __future__ import annotations

import math
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from chroma_lab import backend
from chroma_lab._checks import check_choice, check_fitted, check_int, check_number
from chroma_lab._files import atomic_path, write_json_atomic
from chroma_lab.color import lightness_ops, normalize_l
from chroma_lab.data import make_batches, resize_crop
from chroma_lab.data.streaming import FolderStream
from chroma_lab.errors import ChromaLabError
from chroma_lab.models.base import Colorizer, check_rgb_batch
from chroma_lab.models.registry import FORMAT, MODEL_FILE, SETTINGS_FILE, ModelFolderError
from chroma_lab.models.registry import read_settings

VERBOSE = ("auto", 0, 1, 2)
# Lightness pixels per forward pass when colorizing: bounds the activations (a 512x512 image, or
# 64 images of 64x64, per chunk) without slowing small batches down.
PREDICT_PIXELS = 1 << 18
# Images of a stream that fit-time state (a palette, a class prior) is learnt from: a seeded
# sample, so that setting up on a folder of a million images takes seconds, not hours.
SETUP_SAMPLE = 2000
# The largest training square a model accepts (the papers train at 176 to 256): a larger one, say
# from an edited colorizer.json, would ask for more memory than a machine has when colorizing.
MAX_IMAGE_SIZE = 1024


def walk_layers(model: keras.Model):
    """Every layer of ``model``, nested models opened (their layers, not the model itself), in order."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from walk_layers(layer)
        else:
            yield layer


# ----------------------------------------------------------------------------------------------
# Input layers: the training models take uint8 images, so only uint8 travels to an accelerator
# ----------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="chroma_lab")
class LightnessFromRGB(layers.Layer):
    """RGB values 0..255 (uint8 or any dtype), shape (..., H, W, 3) -> normalised L* (..., H, W, 1).

    Runs in float32 whatever the global dtype policy: bfloat16 has 8 bits of mantissa, too few for
    the sRGB curve and the cube root of the Lab conversion. Integer input goes through the
    256-entry table of :func:`chroma_lab.color.lightness_ops` (a twelfth of a training step of the
    small Zhang network was spent on the full Lab conversion here).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, rgb):
        if "int" not in keras.backend.standardize_dtype(rgb.dtype):
            rgb = ops.cast(rgb, "float32") / 255.0
        return normalize_l(lightness_ops(rgb)[..., None])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (1,)


@keras.saving.register_keras_serializable(package="chroma_lab")
class LightnessFromGray(LightnessFromRGB):
    """Gray values 0..255, shape (..., H, W) -> normalised L* (..., H, W, 1); v means sRGB (v, v, v)."""

    def call(self, gray):
        if "int" in keras.backend.standardize_dtype(gray.dtype):  # one of 256 values: the table of them
            table = lightness_ops(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1))
            if keras.backend.standardize_dtype(gray.dtype) != "uint8":
                gray = ops.clip(gray, 0, 255)
            return normalize_l(ops.take(table, ops.cast(gray, "int32"))[..., None])
        g = ops.cast(gray, "float32")[..., None]
        return super().call(ops.concatenate([g, g, g], axis=-1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (1,)


# ----------------------------------------------------------------------------------------------
# The base class
# ----------------------------------------------------------------------------------------------
class KerasColorizer(Colorizer):
    """Base of the Keras colorizers; see the module docstring for what a subclass supplies.

    Subclass parameters must include ``image_size``, ``epochs``, ``batch_size``,
    ``learning_rate``, ``verbose`` and ``seed``; :attr:`cli_options` offers the shared ones to
    ``chroma-lab train`` (a subclass adds its own: ``{**KerasColorizer.cli_options, ...}``).

    Attributes
    ----------
    model_ : keras.Model
        The compiled training model (uint8 images -> network output).
    history_ : dict of str -> list of float
        Per-epoch values logged by Keras (``history_["loss"]``), over ``fit`` and every
        ``continue_fit``, and saved with the model.
    steps_per_epoch_ : int
    steps_into_epoch_ : int
        Training steps of the epoch under way (0 at an epoch's end); a checkpoint saved
        mid-epoch resumes at the next step.
    setup_sample_ : int
        After ``fit`` on a stream: how many of its files the fit-time state was learnt from.
    """

    registry_name = ""  # the key of chroma_lab.models.registry.TRAINABLE, saved as "model"
    # Resize the lightness to the training square before the network, and the ab back: right for
    # a network whose receptive field was learnt at one scale; a per-pixel model turns it off.
    predicts_at_training_scale = True
    # chroma-lab train's options for the shared parameters (base.py's module docstring)
    cli_options = {
        "--epochs": ("epochs", {"type": int, "help": "epochs in all (default 10)"}),
        "--batch-size": ("batch_size", {"type": int, "help": "images per step (default: the model's)"}),
        "--image-size": ("image_size", {"type": int, "help": "training square (default: the model's)"}),
        "--learning-rate": ("learning_rate", {"type": float, "help": "optimizer step (default: the model's)"}),
        "--seed": ("seed", {"type": int, "help": "weights and data order (default 0)"}),
    }  # fmt: skip

    # --- training ------------------------------------------------------------------------------
    def fit(self, images, y=None, callbacks=None):
        """Train from scratch on uint8 RGB images (n, H, W, 3) or a
        :class:`~chroma_lab.data.FolderStream`; returns self.

        ``y`` (one label per image) is ignored here; a model that learns from labels overrides
        ``fit``. ``callbacks`` are Keras callbacks (checkpoints, logs); they may call ``colorize``. A
        stream's ``size`` and ``batch_size`` must be the model's ``image_size`` and
        ``batch_size``; ``_setup_stream`` learns the fit-time state from it without holding it.
        """
        self.validate_params()
        stream = _as_stream(images, self)
        if stream is None:
            images = self._prepare(check_rgb_batch(images))
        keras.utils.set_random_seed(self.seed)
        self._setup(images) if stream is None else self._setup_stream(stream)
        self.model_ = self._build_model()
        # built now, so that even an untrained model saves (and reloads) its optimizer slots
        self.model_.optimizer.build(self.model_.trainable_variables)
        self.steps_per_epoch_ = self._steps(images, stream)
        self.history_ = {}
        self.is_fitted_ = True  # callbacks may colorize samples between epochs
        return self.continue_fit(images, y, callbacks=callbacks)

    def continue_fit(self, images, y=None, callbacks=None):
        """Train up to ``self.epochs`` epochs in all, from where the model stopped (after ``load``).

        The images (or stream) must be the ones ``fit`` started with: epoch e sees them in the
        order drawn from ``(seed, e)``, so an interrupted and resumed run sees the same batches as
        an uninterrupted one. A model saved mid-epoch (its step counter is not a multiple of
        ``steps_per_epoch_``) first finishes that epoch from the next step, in a ``model.fit`` of
        its own (callbacks see that epoch begin and end, its logs average the steps it ran), then
        trains the remaining epochs.
        """
        check_fitted(self)
        self.validate_params()
        stream = _as_stream(images, self)
        if stream is None:
            images = self._prepare(check_rgb_batch(images))
        steps = self._steps(images, stream)
        if steps != self.steps_per_epoch_:
            raise ChromaLabError(f"images give {steps} batches of {self.batch_size} per epoch but the "
                                 f"model was trained with {self.steps_per_epoch_}: resume on the same data")
        start = self.epochs_done_
        if start >= self.epochs:
            return self
        if stream is None:
            x, y = self._training_data(images)
            batches = self._batches(x, y)
        else:
            batches = stream
            batches.transform = self._training_data
        # first: the data order is set before anything reads a batch, checkpoints see the history
        order = _EpochOrder(batches)
        callbacks = [order, _RecordHistory(self.history_), *(callbacks or [])]
        if backend.replicas() > 1 or backend.process_count() > 1:
            n = len(images) if stream is None else len(stream.files)
            batches = _ProcessBatches(batches, self._images_per_epoch(n))
        step = self.steps_into_epoch_
        if step:  # saved mid-epoch: the rest of that epoch
            self._fit_epochs(_FromStep(batches, step), order, start, start + 1, callbacks)
            start += 1
            if start >= self.epochs:
                return self
        self._fit_epochs(batches, order, start, self.epochs, callbacks)
        return self

    def _fit_epochs(self, batches, order, start: int, stop: int, callbacks) -> None:
        """``model.fit`` from epoch ``start`` up to ``stop``, with the data order set first.

        Two things Keras would otherwise do before the first epoch's callbacks run: read batches
        to learn their shapes, and, on JAX, build the model's loss from a batch pulled through
        the reader threads; resetting that reader keeps the batches the threads had read ahead,
        so the first epoch would start at one of them (the weights then depended on the thread
        count). Setting the epoch's order, then building the loss here from ``batches[0]``
        (:func:`_build_loss`), leaves Keras nothing to read early.
        """
        order.on_epoch_begin(start)
        _build_loss(self.model_, batches[0])
        self.model_.fit(batches, epochs=stop, initial_epoch=start, shuffle=False,
                        verbose=self.verbose, callbacks=callbacks)  # fmt: skip

    def _steps(self, images, stream) -> int:
        n = len(images) if stream is None else len(stream.files)
        return math.ceil(self._images_per_epoch(n) / self.batch_size)

    def _images_per_epoch(self, n: int) -> int:
        """Images an epoch trains on: all n on one device; data-parallel, the last (partial)
        batch is cut to a multiple of the device count, so that it splits evenly."""
        count = backend.replicas()
        if self.batch_size % count:
            raise ChromaLabError(f"batch_size {self.batch_size} does not split evenly over {count} "
                                 f"devices; use a multiple of {count}")
        return n - (n % self.batch_size) % count

    @property
    def network_(self) -> keras.Model:
        """The paper's network inside ``model_`` (normalised L -> raw output)."""
        check_fitted(self)
        return next(la for la in self.model_.layers if isinstance(la, keras.Model))

    @property
    def epochs_done_(self) -> int:
        """Epochs trained so far, from the optimizer's step counter (saved with the model)."""
        return self.optimizer_steps_ // self.steps_per_epoch_

    @property
    def steps_into_epoch_(self) -> int:
        """Training steps of the epoch under way; 0 at the end of an epoch."""
        return self.optimizer_steps_ % self.steps_per_epoch_

    @property
    def optimizer_steps_(self) -> int:
        """Training steps so far (the optimizer's step counter); mid-epoch if not a multiple of
        ``steps_per_epoch_``."""
        check_fitted(self)
        return int(ops.convert_to_numpy(self.model_.optimizer.iterations))

    # --- colorizing ----------------------------------------------------------------------------
    def _predict_ab(self, L):
        height, width = np.shape(L)[1:]
        parts = []
        for output in self._network_outputs(L):
            ab = self._decode(output)
            if tuple(ab.shape[1:3]) != (height, width):
                ab = ops.image.resize(ab, (height, width), interpolation="bilinear")
            parts.append(ops.convert_to_numpy(ab))
        return np.concatenate(parts).astype(np.float64)

    def _forward(self, L) -> np.ndarray:
        """The network's raw output for lightness L* of shape (n, H, W), as one array."""
        return np.concatenate([ops.convert_to_numpy(out) for out in self._network_outputs(L)])

    def _network_outputs(self, L):
        """Yield the network's output for chunks of images of lightness L (n, H, W) in 0..100."""
        check_fitted(self)
        L = np.asarray(L, dtype=np.float64)
        if L.ndim != 3:
            raise ChromaLabError(f"L must have shape (n, H, W), got {L.shape}")
        n, height, width = L.shape
        side = self._prediction_side(height, width)
        # one fixed input shape: the training scale (Zhang, the coherent model). A model that
        # colorizes at each image's own size (Iizuka's, rounded to multiples of 8) stays eager:
        # Keras' compiled predict function, retraced for a second shape, leaves the size unknown
        # (None), and Iizuka's fusion layer cannot upsample an unknown size.
        at_training_scale = self.predicts_at_training_scale and self.image_size is not None
        step = max(1, PREDICT_PIXELS // (side[0] * side[1]))
        for start in range(0, n, step):
            l_norm = ops.convert_to_tensor(normalize_l(L[start : start + step, ..., None]), "float32")
            if side != (height, width):
                l_norm = ops.image.resize(l_norm, side, antialias=True)
            # At one input shape Keras' compiled predict function (traced once, whatever the
            # photos' sizes) beats the eager call (benchmarks/bench_colorize_full.py, full Zhang
            # network); a per-pixel model sees each image's own shape, so it stays eager.
            if at_training_scale:
                yield self.network_.predict_on_batch(l_norm)
            else:
                yield self.network_(l_norm, training=False)

    def _prediction_side(self, height: int, width: int) -> tuple:
        """(h, w) the network sees for an (height, width) image; its ab is resized back."""
        if self.predicts_at_training_scale and self.image_size is not None:
            return (self.image_size, self.image_size)  # the scale the network was trained at
        return (height, width)

    # --- saving --------------------------------------------------------------------------------
    def save(self, folder) -> None:
        """Write ``folder/colorizer.json`` (parameters, state) and ``folder/model.keras``.

        ``model.keras`` holds the weights and the optimizer state (hence the epoch count). Each
        file is written to a temporary name and moved into place (:mod:`chroma_lab._files`), so a
        run killed mid-save leaves the previous complete files. The JSON goes first: if a kill
        falls between the two, ``load`` trims the history to the epochs the weights have seen.
        """
        check_fitted(self)
        if not backend.is_chief():
            # Several processes: reading the weights out is a collective every process must join;
            # only process 0 keeps the files.
            with tempfile.TemporaryDirectory() as scratch:
                with atomic_path(Path(scratch) / MODEL_FILE) as tmp:
                    self.model_.save(tmp)
            return
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"'{folder}' is a file; save needs a folder")
        folder.mkdir(parents=True, exist_ok=True)
        settings = {"format": FORMAT, "model": self.registry_name, **self.get_params(deep=False),
                    "steps_per_epoch": self.steps_per_epoch_, "history": self.history_,
                    "random_state": _random_state(self.model_), **self._state()}  # fmt: skip
        write_json_atomic(folder / SETTINGS_FILE, settings)
        with atomic_path(folder / MODEL_FILE) as tmp:
            self.model_.save(tmp)

    @classmethod
    def load(cls, folder):
        """Read a colorizer written by :meth:`save` (``safe_mode=True``: no code is loaded).

        Raises :class:`~chroma_lab.models.registry.ModelFolderError` for a folder that holds no
        such colorizer, or one this version cannot read (retrain it).
        """
        folder = Path(folder)
        settings = read_settings(folder, cls)
        # the parameters of a default instance name them (__init__ only stores its arguments)
        params = {name: settings[name] for name in cls().get_params(deep=False) if name in settings}
        retrain = "; retrain the model with this version of chroma_lab"
        try:
            obj = cls(**params)
            obj.validate_params()
            obj.steps_per_epoch_ = check_int(settings["steps_per_epoch"], "steps_per_epoch", low=1)
            history = settings.get("history", {})
            obj.history_ = {str(k): [float(v) for v in values] for k, values in history.items()}
            obj._restore(settings)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFolderError(f"'{folder / SETTINGS_FILE}' holds settings this version cannot "
                                   f"use ({type(exc).__name__}: {exc}){retrain}") from exc
        path = folder / MODEL_FILE
        if not zipfile.is_zipfile(path):
            raise ModelFolderError(f"'{path}' is not a Keras archive (.keras files are zip files)")
        try:
            obj.model_ = keras.saving.load_model(path, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - Keras raises many types for a foreign archive
            raise ModelFolderError(f"'{path}' does not load ({type(exc).__name__}: {exc})"
                                   f"{retrain}") from exc
        _restore_random_state(obj.model_, settings.get("random_state"), folder / SETTINGS_FILE)
        obj.is_fitted_ = True
        done = obj.epochs_done_
        obj.history_ = {key: values[:done] for key, values in obj.history_.items()}
        return obj

    # --- validation and data -------------------------------------------------------------------
    def validate_params(self) -> None:
        """Check the shared parameters; a subclass extends this with its own."""
        if isinstance(self.image_size, int) and self.image_size > MAX_IMAGE_SIZE:
            raise ChromaLabError(f"image_size must be at most {MAX_IMAGE_SIZE} (the papers train at "
                                 f"176 to 256), got {self.image_size}")  # fmt: skip
        check_int(self.epochs, "epochs", low=0)
        check_int(self.batch_size, "batch_size", low=1)
        check_int(self.seed, "seed", low=0)
        check_number(self.learning_rate, "learning_rate", low=0, low_open=True)
        check_choice(self.verbose, "verbose", VERBOSE)

    def _prepare(self, images: np.ndarray) -> np.ndarray:
        """Centre-crop and resize the training images to ``image_size`` squares (None: as given)."""
        side = self.image_size
        if side is None or images.shape[1:3] == (side, side):
            return images
        return np.stack([resize_crop(image, side) for image in images])

    # --- to implement --------------------------------------------------------------------------
    def _setup(self, images: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _setup_stream(self, stream) -> None:
        """``_setup`` from a stream: on a seeded sample of ``SETUP_SAMPLE`` images (all of a
        smaller folder), centre-cropped; a subclass may stream instead (Zhang's prior)."""
        self._setup(stream.read(self._setup_sample(stream)))

    def _setup_sample(self, stream) -> np.ndarray:
        """The indices of the stream's files that fit-time state is learnt from; their count is
        ``setup_sample_``."""
        take = stream.sample_indices(SETUP_SAMPLE, self.seed)
        self.setup_sample_ = len(take)
        return take

    def _build_model(self) -> keras.Model:  # pragma: no cover - abstract
        raise NotImplementedError

    def _training_data(self, images: np.ndarray):  # pragma: no cover - abstract
        raise NotImplementedError

    def _decode(self, output):  # pragma: no cover - abstract
        raise NotImplementedError

    def _batches(self, x, y):
        """The seeded training batches of ``_training_data``; a subclass may reshape their targets."""
        return make_batches(x, y, batch_size=self.batch_size, seed=self.seed)

    def _state(self) -> dict:
        return {}

    def _restore(self, settings: dict) -> None:
        pass

    def _fit(self, images):  # the base class's hook; fit() is overridden to take callbacks
        self.fit(images)


def _build_loss(model: keras.Model, batch) -> None:
    """Build ``model``'s compiled loss and metrics from one batch, through public methods.

    What ``model.fit`` would otherwise build from a batch of its own (see
    ``KerasColorizer._fit_epochs``). The forward pass runs in inference mode, so no dropout mask
    is drawn, and the loss is computed with ``training=False``, so no loss tracker counts it;
    ``fit`` resets the metrics as each epoch begins.
    """
    x, y = batch if isinstance(batch, tuple) else (batch, None)
    # A layer that draws even in inference mode (the guided model's simulated users) would advance
    # its generator here, once more on every resume: put the random state back as it was.
    states = [ops.convert_to_numpy(v) for v in _seed_states(model)]
    y_pred = model(x, training=False)
    model.compute_loss(x, y, y_pred, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    for variable, value in zip(_seed_states(model), states):
        variable.assign(value)


def _seed_states(model: keras.Model) -> list:
    """The variables of ``model``'s random number generators (the SeedGenerators of dropout & co.).

    Keras documents ``layer.variables`` as ``layer.weights`` plus that state.
    """
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def _random_state(model: keras.Model) -> dict:
    """The random state of ``model`` and the training step it belongs to, for ``colorizer.json``.

    A ``.keras`` archive keeps each SeedGenerator's seed (in the layer config) but starts its
    state afresh on load; saved beside the weights and put back by :func:`_restore_random_state`,
    it makes a resumed run draw the dropout masks an uninterrupted one draws
    (tests/test_keras_colorizer.py checks the weights bit for bit).
    """
    return {"step": int(ops.convert_to_numpy(model.optimizer.iterations)),
            "values": [ops.convert_to_numpy(v).tolist() for v in _seed_states(model)]}  # fmt: skip


def _restore_random_state(model: keras.Model, state, path) -> None:
    """Put back a :func:`_random_state` if it belongs to the weights loaded (the same step).

    A run killed between writing ``colorizer.json`` and ``model.keras`` leaves settings one
    checkpoint ahead of the weights; their random state is then left fresh, and only dropout's
    masks (not the data order) differ from an uninterrupted run's.
    """
    if state is None:
        return
    if not isinstance(state, dict):
        raise ModelFolderError(f"'{path}' holds a random_state that is not a mapping; retrain the "
                               f"model with this version of chroma_lab")  # fmt: skip
    if state.get("step") != int(ops.convert_to_numpy(model.optimizer.iterations)):
        return
    variables, values = _seed_states(model), state.get("values", [])
    shapes = [tuple(v.shape) for v in variables]
    if [np.shape(value) for value in values] != shapes:
        raise ModelFolderError(f"'{path}' holds a random state of shapes {[np.shape(v) for v in values]} "
                               f"but the model has {shapes}; retrain the model with this version of "
                               f"chroma_lab")  # fmt: skip
    for variable, value in zip(variables, values):
        variable.assign(np.asarray(value, dtype=variable.dtype))


def _as_stream(images, colorizer):
    """``images`` if it is a FolderStream that fits the colorizer, else None (an array)."""
    if not isinstance(images, FolderStream):
        return None
    for name, ours in (("size", colorizer.image_size), ("batch_size", colorizer.batch_size)):
        if getattr(images, name) != ours:
            raise ChromaLabError(f"the stream's {name} is {getattr(images, name)} but the model's "
                                 f"{'image_size' if name == 'size' else name} is {ours}")
    return images


class _EpochOrder(keras.callbacks.Callback):
    """Set the batches to epoch e's order as Keras begins epoch e.

    Not left to ``PyDataset.on_epoch_end``: Keras calls that once more than there are epochs on
    TensorFlow (after reading two batches to infer their shapes), so counting the calls would make
    epoch e read the order of e + 1 there and of e elsewhere, and a run resumed mid-epoch would
    read another epoch's order than the one it was saved in. Also called once before each
    ``model.fit`` (``KerasColorizer._fit_epochs``): a threaded PyDataset's workers start reading
    ahead before ``on_epoch_begin`` of the first epoch, so the order must already be that epoch's.
    """

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.set_epoch(epoch)


class _FromStep(keras.utils.PyDataset):
    """The batches of a PyDataset from batch ``step`` on: the rest of an epoch saved mid-way."""

    def __init__(self, batches, step: int):
        super().__init__(workers=batches.workers, use_multiprocessing=batches.use_multiprocessing,
                         max_queue_size=batches.max_queue_size)  # fmt: skip
        self.batches, self.step = batches, step

    def __len__(self):
        return len(self.batches) - self.step

    def __getitem__(self, index):
        return self.batches[index % len(self) + self.step]


class _ProcessBatches(keras.utils.PyDataset):
    """This process's slice of each global batch of ``batches`` (data-parallel training).

    Only the first ``n_used`` images of each epoch's order are used (see
    ``KerasColorizer._images_per_epoch``); :func:`chroma_lab.backend.process_shard` picks the rows.
    """

    def __init__(self, batches, n_used: int):
        # a FolderStream's reader threads read through this wrapper
        super().__init__(workers=batches.workers, use_multiprocessing=batches.use_multiprocessing,
                         max_queue_size=batches.max_queue_size)  # fmt: skip
        self.batches, self.n_used = batches, n_used

    def __len__(self):
        return math.ceil(self.n_used / self.batches.batch_size)

    def __getitem__(self, index):
        size = self.batches.batch_size
        keep = min(size, self.n_used - index * size)
        rows = backend.process_shard(keep)
        if isinstance(self.batches, FolderStream):  # decode this process's files only
            return self.batches.load(self.batches.batch_indices(index)[:keep][rows])
        batch = self.batches[index]
        if not isinstance(batch, tuple):
            return batch[:keep][rows]
        return tuple(part[:keep][rows] for part in batch)

    def on_epoch_end(self):
        self.batches.on_epoch_end()


class _RecordHistory(keras.callbacks.Callback):
    """Append each epoch's logs to a colorizer's ``history_`` (a dict of lists)."""

    def __init__(self, history: dict):
        super().__init__()
        self.history = history

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
