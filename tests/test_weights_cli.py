"""``chroma-lab import-weights`` / ``fetch-weights``: the released layout imported as a colorizer
folder that ``colorize`` and ``load_colorizer`` use like any other; fetch from a local server only
(127.0.0.1); every error one line, exit 1, nothing left behind.

The fixtures are the small-width ECCV16 layout (tests/fixtures/make_zhang_torch_fixture.py), so
the commands run with their hidden ``--size small``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from _http import serve_folder
from PIL import Image

from chroma_lab import cli
from chroma_lab.color import gray_to_lightness, lightness
from chroma_lab.resources import zhang2016_imagenet_prior

FIXTURES = Path(__file__).parent / "fixtures"
ZIP_FILE = next(FIXTURES.glob("zhang_small-*.pth"))


def _import(out, path=ZIP_FILE):
    return cli.main(["import-weights", "eccv16", str(path), "--out", str(out), "--size", "small"])


def _fetch(out, url):
    return cli.main(["fetch-weights", "eccv16", "--out", str(out), "--url", url, "--size", "small"])


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("eccv16") / "model"
    assert _import(out) == 0
    return out


@pytest.fixture
def server(tmp_path_factory):
    """Serves the fixture under its own name and under a name whose hash suffix is wrong."""
    folder = tmp_path_factory.mktemp("served")
    shutil.copy(ZIP_FILE, folder / ZIP_FILE.name)
    shutil.copy(ZIP_FILE, folder / "zhang_small-deadbeef.pth")
    with serve_folder(folder) as url:
        yield url


def test_import_then_colorize_end_to_end(imported, tmp_path, capsys):
    from chroma_lab.models.registry import load_colorizer
    from chroma_lab.models.zhang2016 import ZhangColorizer

    settings = json.loads((imported / "colorizer.json").read_text())
    assert settings["model"] == "zhang" and settings["weights"] == "eccv16"
    assert (settings["size"], settings["image_size"], settings["temperature"]) == ("small", 256, 0.38)
    np.testing.assert_allclose(settings["prior"], zhang2016_imagenet_prior())
    assert sorted(p.name for p in imported.iterdir()) == ["colorizer.json", "model.keras"]

    colorizer = load_colorizer(imported)
    assert isinstance(colorizer, ZhangColorizer) and colorizer.weights_ == "eccv16"
    # the saved network is the torch module: its recorded logits
    x = np.load(FIXTURES / "zhang_small_input.npy").transpose(0, 2, 3, 1)
    logits = np.load(FIXTURES / "zhang_small_logits.npy").transpose(0, 2, 3, 1)
    np.testing.assert_allclose(np.asarray(colorizer.network_(x, training=False)), logits, atol=5e-4, rtol=1e-4)

    gray = np.random.default_rng(0).integers(0, 256, (37, 53), dtype=np.uint8)
    Image.fromarray(gray).save(tmp_path / "photo.png")
    capsys.readouterr()
    assert cli.main(["colorize", str(tmp_path / "photo.png"), "--model", str(imported),
                     "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    rgb = np.asarray(Image.open(tmp_path / "out" / "photo.png"))
    assert rgb.shape == (37, 53, 3) and rgb.dtype == np.uint8
    assert np.median(np.abs(lightness(rgb) - gray_to_lightness(gray))) < 1.0
    assert np.ptp(rgb.astype(int), axis=-1).max() > 0  # some colour, not gray


def test_mixed_sizes_trace_the_predict_function_once(imported):
    import keras

    from chroma_lab.models.registry import load_colorizer

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the trace count is a tf.function's")
    colorizer = load_colorizer(imported)
    rng = np.random.default_rng(1)
    for shape in [(37, 53), (64, 31), (20, 20)]:
        out = colorizer.colorize(rng.integers(0, 256, (1, *shape), dtype=np.uint8))
        assert out.shape == (1, *shape, 3)
    assert colorizer.network_.predict_function.experimental_get_tracing_count() == 1
    # and the compiled call gives the eager call's output
    L = gray_to_lightness(rng.integers(0, 256, (2, 40, 24), dtype=np.uint8))
    l_norm = keras.ops.image.resize((L[..., None] - 50) / 100, (256, 256), antialias=True)
    eager = np.asarray(colorizer.network_(keras.ops.cast(l_norm, "float32"), training=False))
    np.testing.assert_allclose(colorizer._forward(L), eager, atol=1e-4, rtol=1e-4)


def test_fetch_from_a_local_server_then_from_the_cache(server, tmp_path, capsys):
    out = tmp_path / "fetched"
    assert _fetch(out, f"{server}/{ZIP_FILE.name}") == 0
    assert (out / "downloads" / ZIP_FILE.name).read_bytes() == ZIP_FILE.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["colorizer.json", "downloads", "model.keras"]
    # an intact copy is not downloaded again: this URL would fail
    assert _fetch(out, f"http://127.0.0.1:9/{ZIP_FILE.name}") == 0
    assert str(out) in capsys.readouterr().out


def _one_error_line(capsys, command, match):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"chroma-lab {command}: error: "), err
    assert match in err[0], err[0]


@pytest.mark.parametrize("case, match", [
    ("missing", "no such file"),
    ("folder", "a folder"),
    ("hash", "its name says deadbeef"),
    ("not the layout", "lacks"),
    ("out is a file", "is a file; give a folder"),
    ("out holds a trained model", "already holds a model"),
])  # fmt: skip
def test_import_errors_are_one_line_and_write_nothing(case, match, tmp_path, capsys):
    path, out = ZIP_FILE, tmp_path / "new" / "model"
    if case == "missing":
        path = tmp_path / "nowhere-9b330a0b.pth"
    elif case == "folder":
        path = tmp_path
    elif case == "hash":
        path = tmp_path / "zhang_small-deadbeef.pth"
        shutil.copy(ZIP_FILE, path)
    elif case == "not the layout":
        path = FIXTURES / "torch_tensors.pth"  # a real state dict, of other tensors
    elif case == "out is a file":
        out = tmp_path / "file.txt"
        out.write_text("x")
    else:
        out.mkdir(parents=True)
        (out / "colorizer.json").write_text('{"format": "chroma_lab.colorizer/2", "model": "zhang"}')
    before = sorted(tmp_path.rglob("*"))
    assert _import(out, path) == 1
    _one_error_line(capsys, "import-weights", match)
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("case, match", [
    ("404", "answered 404"),
    ("offline", "offline?"),
    ("checksum", "not saved"),
])  # fmt: skip
def test_fetch_errors_are_one_line_and_write_nothing(case, match, server, tmp_path, capsys):
    url = {"404": f"{server}/missing-00000000.pth", "offline": "http://127.0.0.1:9/x-9b330a0b.pth",
           "checksum": f"{server}/zhang_small-deadbeef.pth"}[case]  # fmt: skip
    before = sorted(tmp_path.rglob("*"))
    assert _fetch(tmp_path / "new" / "model", url) == 1
    _one_error_line(capsys, "fetch-weights", match)
    assert sorted(tmp_path.rglob("*")) == before


# ----------------------------------------------------------------------------------------------
# Files that declare more than they hold (issue 20, item 2): refused before anything is allocated
# ----------------------------------------------------------------------------------------------
def _crafted(case, path):
    import _crafted_pth as crafted

    if case == "stride 0":  # one float viewed as 8000 x 8000: 256 MB once copied
        crafted.write_zip(path, (8000, 8000), (0, 0))
    elif case == "zip bomb":  # 64 MB of zeros deflated to about 64 KB
        crafted.write_zip(path, (16_000_000,), (1,), numel=16_000_000)
    elif case == "legacy huge":  # a storage of 10^11 floats declared, 4 bytes held
        crafted.write_legacy(path, (10**11,), (1,), numel=10**11)
    elif case == "past the storage":  # 64 elements read from a storage of 16
        crafted.write_zip(path, (8, 8), (8, 1), numel=16)
    else:  # "too large": the released layout plus 8 MB the small network cannot need
        shutil.copy(ZIP_FILE, path)
        import zipfile

        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("padding.bin", np.random.default_rng(0).bytes(8 << 20))


@pytest.mark.parametrize("case, match", [
    ("stride 0", "does not fit its storage of 1 elements"),
    ("zip bomb", "unpacks to 64,000,"),
    ("legacy huge", "declares 400,000,000,008 bytes of storages but holds"),
    ("past the storage", "does not fit its storage of 16 elements"),
    ("too large", "more than the"),
])  # fmt: skip
def test_a_file_declaring_huge_tensors_is_refused_before_allocating(case, match, tmp_path, capsys):
    """Sizes, strides and offsets are checked against the storage, the storages against the zip
    directory, the file and the expected table, before one storage byte is read; tracemalloc
    (which sees NumPy's allocations) shows the import allocating far less than the declared
    tensor (before the fix: 256 MB for the stride-0 view, 64 MB for the bomb, a MemoryError
    traceback for the legacy file)."""
    import tracemalloc

    import keras  # imported before the measurement: its import is not the file's doing

    keras.ops.zeros(1)
    path = tmp_path / "crafted.pth"
    _crafted(case, path)
    tracemalloc.start()
    try:
        status = _import(tmp_path / "model", path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 1
    _one_error_line(capsys, "import-weights", match)
    assert peak < 32 << 20, f"{peak / 2**20:.0f} MB"
    assert not (tmp_path / "model").exists()
