"""Zhang et al.'s released ECCV16 weights in our Keras network, read without PyTorch.

The authors publish their Caffe model converted to a PyTorch state dict,
``colorization_release_v2-9b330a0b.pth`` (loaded by ``colorizers/eccv16.py`` of
richzhang/colorization). Its ``ECCVGenerator`` has blocks ``model1`` ... ``model8`` of
``nn.Sequential``: convolution, ReLU, convolution, ReLU, ..., BatchNorm, so the convolutions sit at
the even indices 0, 2, 4 and the BatchNorm right after the last ReLU (``model1.4``, ``model3.6``);
block 8 is the 4x4 stride-2 transposed convolution (``model8.0``), two 3x3 convolutions and the
1x1 ``conv8_313`` (``model8.6``). Every convolution has a bias; the BatchNorms are affine.
``model_out`` (313 -> 2, 1x1, no bias) holds the bin centres divided by 110, and decodes the
softmax into ab.

:func:`chroma_lab.models.zhang2016.build` is that network, layer for layer: its stride-2
convolutions (conv1_2, conv2_2, conv3_3) are padded by 1 pixel on every side as PyTorch/Caffe pad
(Keras' ``padding="same"`` pads 0 before and 1 after an even side, which shifts the sampling grid
by a pixel: a different function, not a rounding difference), and its BatchNorm epsilon is 1e-5
(Keras' default is 1e-3). So the import is a renaming and transposing of tensors, nothing more.

The 2.606 (= 1/0.38) "annealing" scale of the Caffe deploy model (layer ``conv8_313_rh``) is not
part of ``eccv16.py``'s forward pass, and the weights are imported as released (see
:func:`published_network` for the reasoning and the ``logit_scale`` switch).
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import keras
import numpy as np
from keras import layers

from chroma_lab._files import atomic_path
from chroma_lab._torch_checkpoint import read_state_dict
from chroma_lab.color import AB_SCALE, gray_to_lightness, normalize_l, rgb_from_l_ab
from chroma_lab.errors import ChromaLabError
from chroma_lab.models import zhang2016
from chroma_lab.quantize import ANNEALED_T, N_BINS, ab_bins
from chroma_lab.resources import zhang2016_imagenet_prior

ECCV16_URL = "https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth"
# torch.hub checks the first 8 hex digits, which the name carries; the full digest as listed by
# a third-party mirror (clibdev/colorization's README) agrees with them.
ECCV16_SHA256 = "9b330a0bae53f4ded77b1e23defbf78beaa09c10ebc4c4999e8e4f4a160b93f9"
TORCH_BN_EPSILON = zhang2016.BN_EPSILON
REFERENCE_SIDE = 256  # the demo resizes L to 256x256 and predicts ab at 64x64
_OPTIONAL_SUFFIXES = (".num_batches_tracked",)  # BatchNorm bookkeeping, no effect on inference


# ----------------------------------------------------------------------------------------------
# The layout and the name mapping
# ----------------------------------------------------------------------------------------------
def published_layout(size: str = "full") -> keras.Model:
    """The released layout: :func:`chroma_lab.models.zhang2016.build` itself (kept as a name)."""
    return zhang2016.build(size)


def torch_names(network: keras.Model) -> dict:
    """Keras layer name -> prefix of its tensors in the released state dict (``"model1.0"``).

    Derived from the layer names of :func:`zhang2016.build`: in block b, convolution i sits at
    Sequential index 2 (i - 1) (each is followed by its ReLU) and the BatchNorm after the last
    ReLU; in block 8 the 1x1 ``conv8_313`` comes after the last ReLU.
    """
    names = {}
    for layer in network.layers:
        name = layer.name
        if not layer.weights:
            continue
        if name == "conv8_313":
            depth = sum(1 for la in network.layers if la.name.startswith("conv8_")
                        and la.name[6:].isdigit() and la.name != "conv8_313")  # fmt: skip
            names[name] = f"model8.{2 * depth}"
        elif name.endswith("norm"):  # convB_Dnorm: after convolution D and its ReLU
            block, depth = name[4:-4].split("_")
            names[name] = f"model{block}.{2 * int(depth)}"
        else:  # convB_I
            block, i = name[4:].split("_")
            names[name] = f"model{block}.{2 * (int(i) - 1)}"
    return names


def expected_shapes(network: keras.Model) -> dict:
    """State-dict key -> tensor shape in PyTorch's layout, for every tensor ``network`` needs.

    Convolutions are (out, in, kh, kw), the transposed one (in, out, kh, kw), BatchNorm tensors
    (C,); ``model_out.weight`` is (2, 313, 1, 1).
    """
    shapes = {}
    prefixes = torch_names(network)
    for layer in network.layers:
        if layer.name not in prefixes:
            continue
        prefix = prefixes[layer.name]
        if isinstance(layer, layers.BatchNormalization):
            for part in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"{prefix}.{part}"] = tuple(layer.gamma.shape)
            continue
        # Keras (kh, kw, in, out) vs PyTorch (out, in, kh, kw); for the transposed convolution
        # both swap their channel axes, Keras (kh, kw, out, in) vs PyTorch (in, out, kh, kw)
        kh, kw, a, b = layer.kernel.shape
        shapes[f"{prefix}.weight"] = (b, a, kh, kw)
        shapes[f"{prefix}.bias"] = tuple(layer.bias.shape)
    shapes["model_out.weight"] = (2, N_BINS, 1, 1)
    return shapes


def check_state_dict(state: dict, network: keras.Model) -> None:
    """Raise a one-line ValueError for a missing key, an unexpected key or a wrong shape."""
    shapes = expected_shapes(network)
    missing = [key for key in shapes if key not in state]
    if missing:
        raise ChromaLabError(f"the state dict lacks {len(missing)} tensor(s) of the ECCV16 layout, "
                             f"first {missing[0]!r}")  # fmt: skip
    extra = [key for key in state if key not in shapes and not key.endswith(_OPTIONAL_SUFFIXES)]
    if extra:
        raise ChromaLabError(f"the state dict has {len(extra)} tensor(s) the ECCV16 layout does not "
                             f"use, first {extra[0]!r}")  # fmt: skip
    for key, shape in shapes.items():
        got = tuple(np.shape(state[key]))
        if got != shape:
            raise ChromaLabError(f"{key} has shape {got}, the {network.name} layout needs {shape}")


# ----------------------------------------------------------------------------------------------
# The import
# ----------------------------------------------------------------------------------------------
def published_network(source, size: str = "full", logit_scale: float = 1.0) -> keras.Model:
    """The released ECCV16 network as a Keras model (normalised L -> 313 logits at 1/4 size).

    Parameters
    ----------
    source : str, Path or dict
        A ``.pth`` file (zip or legacy format; its hash suffix is checked when it has one) or a
        state dict already read (str -> ndarray).
    size : {"full", "small"}
        The released weights are ``"full"``; ``"small"`` serves the tests.
    logit_scale : float
        Multiplies the ``conv8_313`` weights and bias. The default 1 keeps them as released:
        ``eccv16.py`` feeds ``conv8_313`` straight into the softmax, without the Caffe deploy
        model's ``conv8_313_rh`` scale of 2.606, so its own output is the T = 1 mean; the
        training loss of the Caffe model is computed on the unscaled ``conv8_313``, so these are
        the logits of the trained distribution, and our ``decode_ab(..., temperature=0.38)``
        applies the paper's annealing once. Pass ``1 / 2.606`` only for a file whose
        ``conv8_313`` has the scale folded in (nothing in the released code says so).

    Returns
    -------
    keras.Model
        :func:`chroma_lab.models.zhang2016.build` with the weights set; its 313 output channels
        are in the order of :func:`chroma_lab.quantize.ab_bins` (permuted if the file's order
        differs).
    """
    logit_scale = float(logit_scale)
    if not logit_scale > 0:
        raise ChromaLabError(f"logit_scale must be a number > 0, got {logit_scale!r}")
    network = zhang2016.build(size)
    # the file is read against the layout: a tensor or file larger than it is refused unread
    state = source if isinstance(source, dict) else _read_checked(source, expected_shapes(network))
    check_state_dict(state, network)
    order = bin_order(state["model_out.weight"])
    prefixes = torch_names(network)
    for layer in network.layers:
        if layer.name not in prefixes:
            continue
        prefix = prefixes[layer.name]
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([np.asarray(state[f"{prefix}.{part}"], np.float32) for part in
                               ("weight", "bias", "running_mean", "running_var")])  # fmt: skip
            continue
        weight = np.asarray(state[f"{prefix}.weight"], np.float32)
        bias = np.asarray(state[f"{prefix}.bias"], np.float32)
        # (out, in, kh, kw) -> (kh, kw, in, out); transposed: (in, out, kh, kw) -> (kh, kw, out, in)
        kernel = weight.transpose(2, 3, 1, 0)
        if layer.name == "conv8_313":
            kernel, bias = kernel[..., order] * logit_scale, bias[order] * logit_scale
        layer.set_weights([kernel, bias])
    return network


def bin_order(model_out_weight) -> np.ndarray:
    """Which released output channel holds each of our bins: ``ours[q] = released[order[q]]``.

    ``model_out_weight`` of shape (2, 313, 1, 1) holds the released bin centres divided by 110
    (``eccv16.py`` multiplies its output by 110). Each must lie within 1 ab unit of one of
    :func:`ab_bins`, one to one; otherwise the file does not use the paper's 313 bins.
    """
    centres = np.asarray(model_out_weight, np.float64).reshape(2, -1).T * AB_SCALE
    bins = ab_bins()
    distance = np.linalg.norm(centres[:, None, :] - bins[None, :, :], axis=-1)
    nearest = distance.argmin(axis=1)
    if distance.min(axis=1).max() > 1.0 or len(set(nearest.tolist())) != len(bins):
        worst = int(distance.min(axis=1).argmax())
        raise ChromaLabError(f"model_out.weight does not hold the 313 ab bins (x 1/110): channel "
                             f"{worst} is at {np.round(centres[worst], 2).tolist()}")  # fmt: skip
    order = np.empty(len(bins), dtype=np.int64)
    order[nearest] = np.arange(len(bins))
    return order


def published_colorizer(source, size: str = "full", logit_scale: float = 1.0):
    """The released network as a fitted :class:`~chroma_lab.models.zhang2016.ZhangColorizer`.

    It colorizes as the authors' demo does (L resized to 256x256, T = 0.38 annealed mean) and
    saves and loads like any trained colorizer (``"weights": "eccv16"`` in its JSON). Its prior
    is the paper's ImageNet prior (:func:`chroma_lab.resources.zhang2016_imagenet_prior`), which
    the loss of a fine-tuning run needs; ``learning_rate`` is the paper's 3e-5. ``source``, ``size``, ``logit_scale``: see
    :func:`published_network`.
    """
    network = published_network(source, size=size, logit_scale=logit_scale)
    return zhang2016.ZhangColorizer.from_network(
        network, prior=zhang2016_imagenet_prior(), weights="eccv16", prior_source="imagenet", size=size,
        image_size=REFERENCE_SIDE, temperature=ANNEALED_T, learning_rate=3e-5, verbose=0)  # fmt: skip


def _read_checked(path, expected: dict) -> dict:
    check_hash_suffix(path)
    return read_state_dict(path, expected, optional=_OPTIONAL_SUFFIXES)


# ----------------------------------------------------------------------------------------------
# Files: hashes and downloads
# ----------------------------------------------------------------------------------------------
def check_hash_suffix(path) -> str | None:
    """Check a torch.hub-style name ``name-<sha256 prefix>.pth``; return the prefix or None.

    torch.hub's rule: the part of the stem after the last '-' is the start of the file's
    sha256 when it is at least 6 hex digits. A mismatch raises a one-line ValueError.
    """
    path = Path(path)
    prefix = _hash_prefix(path.name)
    if prefix is None:
        return None
    digest = _sha256(path)
    if not digest.startswith(prefix):
        raise ChromaLabError(f"'{path}' is damaged or not the released file: its sha256 starts with "
                             f"{digest[:len(prefix)]}, its name says {prefix}")  # fmt: skip
    return prefix


def download(url: str, dest, sha256_prefix: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` atomically, checking the sha256 prefix when given.

    The bytes go to a hidden temporary file beside ``dest``, which replaces ``dest`` only after
    the check passes: an interrupted or corrupt download never leaves a file under the final
    name. Offline, an HTTP error and a checksum mismatch each raise a one-line error
    (``ConnectionError`` for the first two, ``ValueError`` for the last).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    try:
        response = urllib.request.urlopen(url, timeout=60)
    except urllib.error.HTTPError as exc:
        raise ConnectionError(f"cannot download {url}: the server answered {exc.code} "
                              f"{exc.reason}") from None  # fmt: skip
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectionError(f"cannot download {url}: {reason} (offline?)") from None
    total = int(response.headers.get("Content-Length") or 0) or None
    with response, atomic_path(dest) as tmp, open(tmp, "wb") as out:
        bar = _progress_bar(total, dest.name, progress)
        try:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
        except OSError as exc:
            raise ConnectionError(f"download of {url} broke off: {exc}") from None
        finally:
            bar.close()
        out.flush()
        os.fsync(out.fileno())
        if sha256_prefix is not None and not digest.hexdigest().startswith(sha256_prefix.lower()):
            raise ChromaLabError(f"the file downloaded from {url} has sha256 "
                                 f"{digest.hexdigest()[:len(sha256_prefix)]}..., expected "
                                 f"{sha256_prefix.lower()}...: not saved")  # fmt: skip
    return dest


def fetch_eccv16(folder, url: str = ECCV16_URL, progress: bool = True) -> Path:
    """Download the released ECCV16 file into ``folder`` (kept if already there and intact)."""
    dest = Path(folder) / Path(url).name
    prefix = _hash_prefix(dest.name)
    if dest.is_file():
        try:
            check_hash_suffix(dest)
            return dest
        except ValueError:
            pass  # a damaged copy: download again
    return download(url, dest, sha256_prefix=prefix, progress=progress)


def _hash_prefix(name: str) -> str | None:
    stem = name.split(".")[0]
    if "-" not in stem:
        return None
    prefix = stem.rsplit("-", 1)[1].lower()
    if len(prefix) >= 6 and all(c in "0123456789abcdef" for c in prefix):
        return prefix
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_bar(total, name, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                disable=not enabled, leave=False)  # fmt: skip


# ----------------------------------------------------------------------------------------------
# The reference pipeline (the authors' demo)
# ----------------------------------------------------------------------------------------------
def reference_colorize(network: keras.Model, gray, temperature: float = ANNEALED_T,
                       side: int = REFERENCE_SIDE) -> list:  # fmt: skip
    """Colorize as the authors' demo does: L resized to side x side, ab upsampled to each size.

    Parameters
    ----------
    network : keras.Model
        Normalised L -> 313 logits at 1/4 resolution (:func:`published_network`).
    gray : sequence of ndarray of shape (H, W), uint8
        Images of any sizes (one (n, H, W) array also works).
    temperature : float
        Annealed-mean temperature (0.38 in the paper).
    side : int
        The network's input size (256 in the demo; a multiple of 8).

    Returns
    -------
    list of ndarray of shape (H, W, 3), uint8
        Each with the original lightness at its original size.

    Every image enters the network at side x side, so the graph is traced once for all of them
    (``predict_on_batch`` compiles on the first call).
    """
    from PIL import Image

    images = [np.asarray(g) for g in gray]
    for i, g in enumerate(images):
        if g.ndim != 2 or g.dtype != np.uint8:
            raise ChromaLabError(f"gray[{i}] must be a 2-D uint8 image, got {g.dtype} {g.shape}")
    if not images:
        return []
    L = [gray_to_lightness(g) for g in images]
    small = np.stack([np.asarray(Image.fromarray(l.astype(np.float32))
                                 .resize((side, side), Image.BICUBIC)) for l in L])  # fmt: skip
    l_norm = normalize_l(small[..., None]).astype(np.float32)
    logits = np.concatenate([np.asarray(network.predict_on_batch(l_norm[i : i + 8]))
                             for i in range(0, len(l_norm), 8)])  # fmt: skip
    ab = keras.ops.convert_to_numpy(zhang2016.decode_ab(logits, temperature)).astype(np.float64)
    out = []
    for l, ab_small in zip(L, ab):
        height, width = l.shape
        full = np.stack([np.asarray(Image.fromarray(ab_small[..., c].astype(np.float32))
                                    .resize((width, height), Image.BILINEAR)) for c in (0, 1)],
                        axis=-1)  # fmt: skip
        out.append(rgb_from_l_ab(l, full))
    return out
