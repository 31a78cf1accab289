"""Importing Zhang et al.'s released ECCV16 state dict: reader, mapping, checks, download.

The fixtures come from tests/fixtures/make_zhang_torch_fixture.py (real ``torch.save`` files and
the torch module's recorded output); these tests never import torch.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import pickle
import shutil
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chroma_lab._torch_checkpoint import read_state_dict
from chroma_lab.color import gray_to_lightness, lightness
from chroma_lab.models import zhang2016
from chroma_lab.models import zhang2016_published as zp

FIXTURES = Path(__file__).parent / "fixtures"
ZIP_FILE = next(FIXTURES.glob("zhang_small-*.pth"))
LEGACY_FILE = FIXTURES / "zhang_small_legacy.pth"


def one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


@functools.lru_cache(maxsize=None)
def small_state() -> dict:
    return read_state_dict(ZIP_FILE)


@functools.lru_cache(maxsize=None)
def small_network():
    return zp.published_network(ZIP_FILE, size="small")


# float32 through 24 layers: differences of a few 1e-5 on logits of about +-7
ATOL = 5e-4


def recorded():
    x = np.load(FIXTURES / "zhang_small_input.npy").transpose(0, 2, 3, 1)  # NCHW -> NHWC
    logits = np.load(FIXTURES / "zhang_small_logits.npy").transpose(0, 2, 3, 1)
    ab = np.load(FIXTURES / "zhang_small_ab.npy").transpose(0, 2, 3, 1)
    return x, logits, ab


# ----------------------------------------------------------------------------------------------
# The reader
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["torch_tensors.pth", "torch_tensors_legacy.pth"])
def test_read_state_dict_matches_torch(name):
    expected = np.load(FIXTURES / "torch_tensors.npz")
    got = read_state_dict(FIXTURES / name)
    assert list(got) == list(expected.files)
    for key in expected.files:
        assert got[key].dtype == expected[key].dtype, key
        assert got[key].shape == expected[key].shape, key
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
        assert got[key].flags.c_contiguous


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def _evil_pickle(marker) -> bytes:
    _Evil.marker = marker
    return pickle.dumps({"model1.0.weight": _Evil()}, protocol=2)


@pytest.mark.parametrize("container", ["zip", "legacy"])
def test_malicious_pickle_is_refused_without_running(tmp_path, container):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    if container == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("evil/data.pkl", _evil_pickle(marker))
    else:
        header = b"".join(pickle.dumps(x, protocol=2) for x in
                          (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}))  # fmt: skip
        path.write_bytes(header + _evil_pickle(marker))
    with pytest.raises(ValueError, match=r"refusing to load (posix|nt|os)\.system") as excinfo:
        read_state_dict(path)
    one_line(excinfo)
    assert not marker.exists()


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match="not a PyTorch checkpoint") as excinfo:
        read_state_dict(path)
    one_line(excinfo)


# ----------------------------------------------------------------------------------------------
# The import reproduces the torch module
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [ZIP_FILE, LEGACY_FILE], ids=["zip", "legacy"])
def test_import_reproduces_torch_logits(path):
    x, logits, ab = recorded()
    network = zp.published_network(path, size="small")
    out = np.asarray(network(x, training=False))
    np.testing.assert_allclose(out, logits, atol=ATOL, rtol=1e-4)
    # eccv16.py decodes with 110 * model_out(softmax(logits)): our T = 1 annealed mean
    np.testing.assert_allclose(np.asarray(zhang2016.decode_ab(out, 1.0)), ab, atol=0.01)


def _keras_default_layout(network):
    """``network`` rebuilt as build() was before it followed the release: ``padding="same"`` on
    the stride-2 convolutions (no ZeroPadding2D) and Keras' BatchNorm epsilon 1e-3."""
    import keras

    x = inputs = keras.Input(shape=(None, None, 1))
    for layer in network.layers[1:]:
        if isinstance(layer, keras.layers.ZeroPadding2D):
            continue
        config = layer.get_config()
        if isinstance(layer, keras.layers.Conv2D) and config.get("padding") == "valid":
            config["padding"] = "same"
        if isinstance(layer, keras.layers.BatchNormalization):
            config["epsilon"] = 1e-3
        new = type(layer).from_config(config)
        x = new(x)
        new.set_weights(layer.get_weights())
    return keras.Model(inputs, x)


def test_keras_same_padding_would_not_reproduce_torch():
    """Why build() pads the stride-2 layers itself: 'same' convolutions sample other pixels."""
    x, logits, _ = recorded()
    plain = _keras_default_layout(small_network())
    assert np.abs(np.asarray(plain(x, training=False)) - logits).max() > 0.1


def test_imported_network_saves_and_loads_in_safe_mode(tmp_path):
    import keras

    x, logits, _ = recorded()
    small_network().save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), logits, atol=ATOL, rtol=1e-4)
    norms = [la for la in loaded.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert norms and all(la.epsilon == zp.TORCH_BN_EPSILON for la in norms)


def test_published_layout_is_build():
    layout = [(la.name, type(la)) for la in zp.published_layout("small").layers]
    assert layout == [(la.name, type(la)) for la in zhang2016.build("small").layers]
    assert {"conv1_2pad", "conv2_2pad", "conv3_3pad"} <= {name for name, _ in layout}


def test_bin_order_is_checked_and_permuted():
    x, logits, _ = recorded()
    state = dict(small_state())
    perm = np.random.default_rng(0).permutation(313)  # released channel j = our bin perm[j]
    state["model8.6.weight"] = state["model8.6.weight"][perm]
    state["model8.6.bias"] = state["model8.6.bias"][perm]
    state["model_out.weight"] = state["model_out.weight"][:, perm]
    out = np.asarray(zp.published_network(state, size="small")(x, training=False))
    np.testing.assert_allclose(out, logits, atol=ATOL, rtol=1e-4)
    assert not np.array_equal(zp.bin_order(state["model_out.weight"]), np.arange(313))


def test_model_out_that_is_not_the_bins_is_refused():
    state = dict(small_state())
    state["model_out.weight"] = state["model_out.weight"] * 2  # not divided by 110 any more
    with pytest.raises(ValueError, match="does not hold the 313 ab bins") as excinfo:
        zp.published_network(state, size="small")
    one_line(excinfo)


def test_logit_scale_multiplies_the_logits():
    x, logits, _ = recorded()
    out = np.asarray(zp.published_network(small_state(), "small", logit_scale=2.5)(x))
    np.testing.assert_allclose(out, 2.5 * logits, atol=2.5 * ATOL, rtol=1e-4)


# ----------------------------------------------------------------------------------------------
# Keys and shapes
# ----------------------------------------------------------------------------------------------
def _eccv16_shapes() -> dict:
    """The released file's tensors, written out from colorizers/eccv16.py (an independent table)."""
    shapes = {}
    chain = [(1, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3), (512, 512, 3), (512, 512, 3),
             (512, 512, 3)]  # fmt: skip
    for block, (cin, cout, depth) in enumerate(chain, start=1):
        for i in range(depth):
            shapes[f"model{block}.{2 * i}.weight"] = (cout, cin if i == 0 else cout, 3, 3)
            shapes[f"model{block}.{2 * i}.bias"] = (cout,)
        for part in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"model{block}.{2 * depth}.{part}"] = (cout,)
    shapes["model8.0.weight"], shapes["model8.0.bias"] = (512, 256, 4, 4), (256,)  # ConvTranspose2d
    for index in (2, 4):
        shapes[f"model8.{index}.weight"], shapes[f"model8.{index}.bias"] = (256, 256, 3, 3), (256,)
    shapes["model8.6.weight"], shapes["model8.6.bias"] = (313, 256, 1, 1), (313,)
    shapes["model_out.weight"] = (2, 313, 1, 1)
    return shapes


def test_full_width_names_and_shapes_match_eccv16():
    network = zp.published_layout("full")
    assert zp.expected_shapes(network) == _eccv16_shapes()
    fake = {key: np.broadcast_to(np.float32(0), shape) for key, shape in _eccv16_shapes().items()}
    fake["model1.4.num_batches_tracked"] = np.int64(0)  # BatchNorm bookkeeping is allowed
    zp.check_state_dict(fake, network)


@pytest.mark.parametrize("change, message", [
    ("missing", "lacks 1 tensor.*'model3.2.bias'"),
    ("extra", "does not use, first 'model9.0.weight'"),
    ("shape", r"model8.0.weight has shape \(1, 2, 3\)"),
])  # fmt: skip
def test_key_and_shape_errors(change, message):
    state = dict(small_state())
    if change == "missing":
        del state["model3.2.bias"]
    elif change == "extra":
        state["model9.0.weight"] = np.zeros(3, np.float32)
    else:
        state["model8.0.weight"] = np.zeros((1, 2, 3), np.float32)
    with pytest.raises(ValueError, match=message) as excinfo:
        zp.published_network(state, size="small")
    one_line(excinfo)


# ----------------------------------------------------------------------------------------------
# Hashes and downloads
# ----------------------------------------------------------------------------------------------
def test_hash_suffix(tmp_path):
    assert zp.check_hash_suffix(ZIP_FILE) == ZIP_FILE.stem.rsplit("-", 1)[1]
    assert zp.check_hash_suffix(LEGACY_FILE) is None  # no suffix, nothing to check
    wrong = tmp_path / "zhang_small-deadbeef.pth"
    shutil.copy(ZIP_FILE, wrong)
    with pytest.raises(ValueError, match="its name says deadbeef") as excinfo:
        zp.published_network(wrong, size="small")
    one_line(excinfo)


def test_released_name_carries_the_hash():
    assert zp._hash_prefix(Path(zp.ECCV16_URL).name) == "9b330a0b"
    assert zp.ECCV16_SHA256.startswith("9b330a0b")


@pytest.fixture
def server():
    handler = functools.partial(_QuietHandler, directory=str(FIXTURES))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_from_local_server(server, tmp_path):
    prefix = ZIP_FILE.stem.rsplit("-", 1)[1]
    path = zp.fetch_eccv16(tmp_path / "weights", url=f"{server}/{ZIP_FILE.name}", progress=False)
    assert path.read_bytes() == ZIP_FILE.read_bytes()
    assert zp.check_hash_suffix(path) == prefix
    assert [p.name for p in path.parent.iterdir()] == [ZIP_FILE.name]  # no temporary left


def test_download_404(server, tmp_path):
    with pytest.raises(ConnectionError, match="answered 404") as excinfo:
        zp.download(f"{server}/missing-00000000.pth", tmp_path / "x.pth", progress=False)
    one_line(excinfo)
    assert not list(tmp_path.iterdir())


def test_download_checksum_mismatch(server, tmp_path):
    with pytest.raises(ValueError, match="expected deadbeef.*not saved") as excinfo:
        zp.download(f"{server}/{ZIP_FILE.name}", tmp_path / "x.pth", sha256_prefix="deadbeef",
                    progress=False)  # fmt: skip
    one_line(excinfo)
    assert not list(tmp_path.iterdir())


def test_download_offline(tmp_path):
    with pytest.raises(ConnectionError, match="cannot download") as excinfo:
        zp.download("http://127.0.0.1:9/x.pth", tmp_path / "x.pth", progress=False)
    one_line(excinfo)


# ----------------------------------------------------------------------------------------------
# The reference pipeline
# ----------------------------------------------------------------------------------------------
def test_reference_colorize_odd_sizes():
    rng = np.random.default_rng(0)
    gray = [rng.integers(0, 256, (37, 53), dtype=np.uint8),
            rng.integers(0, 256, (64, 31), dtype=np.uint8)]  # fmt: skip
    out = zp.reference_colorize(small_network(), gray, side=32)
    assert [o.shape for o in out] == [(37, 53, 3), (64, 31, 3)]
    for g, rgb in zip(gray, out):
        assert rgb.dtype == np.uint8
        # the original lightness is kept (up to uint8 rounding and gamut clipping)
        assert np.median(np.abs(lightness(rgb) - gray_to_lightness(g))) < 1.0


def test_reference_colorize_rejects_rgb():
    with pytest.raises(ValueError, match=r"gray\[0\] must be a 2-D uint8 image"):
        zp.reference_colorize(small_network(), [np.zeros((8, 8, 3), np.uint8)], side=32)
