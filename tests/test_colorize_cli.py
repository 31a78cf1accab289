"""``chroma-lab colorize``: every image mode and size, one error line per bad file, no overwrites."""

import numpy as np
import pytest
from PIL import Image

from chroma_lab import cli
from chroma_lab.color import gray_to_lightness, rgb_to_lab
from chroma_lab.data import load_image, to_gray
from chroma_lab.models.zhang2016 import ZhangColorizer
from chroma_lab.scenes import synthetic_scenes


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained small model (epochs=0): colorize only needs one that loads."""
    folder = tmp_path_factory.mktemp("model")
    images = synthetic_scenes(4, size=16, seed=0)[0]
    ZhangColorizer(image_size=16, epochs=0, batch_size=4, verbose=0).fit(images).save(folder)
    return folder


@pytest.fixture()
def images(tmp_path):
    """One file per Pillow mode, odd sizes, plus a corrupt one."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (13, 21, 3), dtype=np.uint8)
    folder = tmp_path / "in"
    folder.mkdir()
    files = {
        "rgb.jpg": Image.fromarray(rgb),
        "gray.png": Image.fromarray(rgb[..., 0]),
        "rgba.png": Image.fromarray(np.dstack([rgb, rgb[..., :1]]), mode="RGBA"),
        "deep.png": Image.fromarray(rng.integers(0, 65535, (9, 30)).astype(np.uint16)),
        "palette.gif": Image.fromarray(rgb).convert("P"),
        "cmyk.jpg": Image.fromarray(rgb).convert("CMYK"),
    }
    paths = []
    for name, img in files.items():
        img.save(folder / name)
        paths.append(folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return paths, folder / "broken.jpg"


def _run(paths, model_dir, out, *extra):
    return cli.main(["colorize", *map(str, paths), "--model", str(model_dir), "--out", str(out), *extra])


def test_every_mode_and_size(images, model_dir, tmp_path, capsys):
    paths, _ = images
    out = tmp_path / "out"
    assert _run(paths, model_dir, out) == 0
    assert "error" not in capsys.readouterr().err
    for path in paths:
        result = Image.open(out / (path.stem + ".png"))
        source = load_image(path)
        assert result.mode == "RGB" and result.size == (source.shape[1], source.shape[0])
        # colorizing keeps the input's lightness (8-bit rounding, gamut clipping aside)
        diff = rgb_to_lab(np.asarray(result))[..., 0] - gray_to_lightness(to_gray(source))
        assert np.abs(diff).mean() < 1.0


def test_bad_files_get_one_line_each_and_the_rest_is_done(images, model_dir, tmp_path, capsys):
    paths, broken = images
    missing = tmp_path / "missing.png"
    out = tmp_path / "out"
    assert _run([broken, paths[0], missing], model_dir, out) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("chroma-lab colorize: error:")]
    assert len(lines) == 2
    assert "broken.jpg" in lines[0] and "missing.png" in lines[1]
    assert (out / "rgb.png").is_file()  # the good file between them was written


def test_never_overwrites_an_input(images, model_dir, capsys):
    paths, _ = images
    folder = paths[0].parent
    gray_png = folder / "gray.png"
    before = gray_png.read_bytes()
    # --out is the input folder: gray.png -> gray.png is refused, rgb.jpg -> rgb.png is fine
    assert _run([gray_png, paths[0]], model_dir, folder) == 1
    err = capsys.readouterr().err
    assert "gray.png" in err and "refusing to overwrite" in err
    assert gray_png.read_bytes() == before
    assert (folder / "rgb.png").is_file()


def test_two_inputs_with_one_output_name(images, model_dir, tmp_path, capsys):
    paths, _ = images
    other = tmp_path / "rgb.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(other)
    assert _run([paths[0], other], model_dir, tmp_path / "out") == 1
    assert "also the output of" in capsys.readouterr().err


def test_temperature_changes_the_colours(images, model_dir, tmp_path):
    paths, _ = images
    assert _run(paths[:1], model_dir, tmp_path / "t0", "--temperature", "0") == 0
    assert _run(paths[:1], model_dir, tmp_path / "t1", "--temperature", "1") == 0
    a = np.asarray(Image.open(tmp_path / "t0" / "rgb.png"))
    b = np.asarray(Image.open(tmp_path / "t1" / "rgb.png"))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("extra, message", [
    (["--model", "{tmp}/nowhere"], "holds no saved colorizer"),
    (["--temperature", "-1"], "--temperature must be >= 0"),
    (["--out", "{tmp}/file.txt"], "is a file"),
])  # fmt: skip
def test_setup_errors_are_one_line(extra, message, images, model_dir, tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    argv = ["colorize", str(images[0][0]), "--model", str(model_dir), "--out", str(tmp_path / "o")]
    argv += [a.replace("{tmp}", str(tmp_path)) for a in extra]  # the last --model/--out wins
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("chroma-lab colorize: error:") and message in err and len(err.splitlines()) == 1
