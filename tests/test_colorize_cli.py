"""``chroma-lab colorize``: every image mode and size, one error line per bad file, no overwrites,
and a corpus of bad inputs and model folders: each one clear line, a non-zero exit, nothing written."""

import io
import os
import shutil
import struct
import subprocess
import sys
import zlib

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
        "one.png": Image.fromarray(rgb[:1, :1]),
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
    (["--model", "{tmp}/nowhere"], "nowhere' holds no saved colorizer"),
    (["--model", "{tmp}/empty"], "empty' holds no saved colorizer"),
    (["--model", "{tmp}/stray"], "stray' holds no saved colorizer"),
    (["--model", "{tmp}/garbled"], "garbled/colorizer.json' is not valid JSON"),
    (["--model", "{tmp}/foreign"], "foreign/colorizer.json' was not written by chroma_lab"),
    (["--model", "{tmp}/not_keras"], "not_keras"),
    (["--model", "{tmp}/file.txt"], "file.txt' holds no saved colorizer"),
    (["--temperature", "-1"], "--temperature must be >= 0"),
    (["--out", "{tmp}/file.txt"], "--out '{tmp}/file.txt' is a file"),
    (["--out", "{tmp}/file.txt/sub"], "file.txt' is a file, not a folder"),
])  # fmt: skip
def test_setup_errors_are_one_line(extra, message, images, model_dir, tmp_path, capsys):
    """Bad model folders (missing, empty, holding other files, broken or foreign settings, a
    model file that is not a Keras archive) and bad output folders."""
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "notes.txt").write_text("written by nothing")
    for name, settings, model in [("garbled", "{not json", None), ("foreign", '{"format": "other/1"}', None),
                                  ("not_keras", None, "not a Keras archive")]:  # fmt: skip
        folder = tmp_path / name
        shutil.copytree(model_dir, folder)
        if settings is not None:
            (folder / "colorizer.json").write_text(settings)
        if model is not None:
            (folder / "model.keras").write_text(model)
    out = tmp_path / "o"
    argv = ["colorize", str(images[0][0]), "--model", str(model_dir), "--out", str(out)]
    argv += [a.replace("{tmp}", str(tmp_path)) for a in extra]  # the last --model/--out wins
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("chroma-lab colorize: error:") and message.replace("{tmp}", str(tmp_path)) in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # nothing written


def _png_header(width, height):
    """A PNG whose header claims width x height pixels (and holds none): a few dozen bytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def _jpeg_bytes():
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


BAD_FILES = {
    "missing.png": (None, "No image file at"),
    "folder.png": ("dir", "is a folder, not an image"),
    "zero.jpg": (b"", "not an image file Pillow recognises"),
    "truncated.jpg": ("truncated", "damaged or truncated"),
    "text.png": (b"hello, I am a text file\n", "not an image file Pillow recognises"),
    "bomb.png": (_png_header(100_000, 100_000), "too many pixels"),  # Pillow refuses (> 2x the limit)
    "big.png": (_png_header(10_000, 10_000), "too many pixels"),  # Pillow would only warn
    "loop.png": ("loop", "a symbolic link loop"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_image_is_one_line_naming_it(name, model_dir, tmp_path, capsys):
    content, message = BAD_FILES[name]
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content == "truncated":
        path.write_bytes(_jpeg_bytes()[:400])
    elif content == "loop":
        path.symlink_to(path)
    elif content is not None:
        path.write_bytes(content)
    out = tmp_path / "out"
    assert _run([path], model_dir, out) == 1
    err = capsys.readouterr().err
    assert err.startswith("chroma-lab colorize: error: ") and str(path) in err and message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # no output, no temporary left behind


@pytest.mark.parametrize("how", ["option", "environment"])
def test_debug_shows_the_traceback_of_each_bad_file(how, model_dir, tmp_path, monkeypatch, capsys):
    missing = tmp_path / "missing.png"
    monkeypatch.setenv("CHROMA_LAB_DEBUG", "1" if how == "environment" else "0")
    assert _run([missing], model_dir, tmp_path / "out", *(["--debug"] if how == "option" else [])) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "FileNotFoundError" in err
    assert err.splitlines()[-1] == f"chroma-lab colorize: error: No image file at '{missing}'; check the path and the working folder"


def test_a_read_only_output_folder_is_one_line(images, model_dir, read_only_folder, capsys):
    locked = read_only_folder
    assert _run(images[0][:1], model_dir, locked) == 1
    err = capsys.readouterr().err
    assert err == f"chroma-lab colorize: error: --out '{locked}': no permission to write in '{locked}'\n"


def test_any_model_the_folder_holds_and_temperature_only_where_it_exists(images, tmp_path, monkeypatch, capsys):
    """colorize takes whatever load_colorizer finds; --temperature needs a model that has one."""
    from chroma_lab.models import registry
    from chroma_lab.models.base import GrayColorizer

    gray_model = GrayColorizer().fit(synthetic_scenes(2, size=16, seed=0)[0])
    monkeypatch.setattr(registry, "load_colorizer", lambda folder: gray_model)
    paths = images[0][:1]
    assert _run(paths, tmp_path / "any", tmp_path / "t", "--temperature", "0.5") == 1
    err = capsys.readouterr().err
    assert err.startswith("chroma-lab colorize: error: --temperature: the GrayColorizer") and "no temperature" in err
    assert not (tmp_path / "t").exists()
    assert _run(paths, tmp_path / "any", tmp_path / "out") == 0
    result = np.asarray(Image.open(tmp_path / "out" / "rgb.png"))
    assert (result == result[..., :1]).all()  # the gray baseline: R = G = B


def test_a_bug_while_colorizing_is_not_reported_as_a_bad_file(images, model_dir, tmp_path, monkeypatch):
    import chroma_lab.data

    def broken(images):
        raise TypeError("a bug, not a bad file")

    monkeypatch.setattr(chroma_lab.data, "to_gray", broken)
    with pytest.raises(TypeError, match="a bug"):
        _run(images[0][:1], model_dir, tmp_path / "out")


@pytest.mark.slow
def test_the_terminal_sees_one_line_not_tensorflow_notes(model_dir, tmp_path):
    bad = tmp_path / "scan.png"
    bad.write_text("not an image")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CHROMA_LAB_DEBUG")}
    result = subprocess.run([sys.executable, "-m", "chroma_lab.cli", "colorize", str(bad), "--model",
                             str(model_dir), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"chroma-lab colorize: error: Cannot read '{bad}': it is not an image file Pillow recognises "
        "(wrong extension, or not an image at all)."
    ]


def test_a_value_error_inside_the_library_keeps_its_traceback(images, tmp_path, monkeypatch, capsys):
    """A plain ValueError (NumPy's broadcasting, say) is a bug, not the user's file: it is raised,
    not printed as "error: 'g.png': operands could not be broadcast", and no file is skipped over."""
    from chroma_lab.models import registry
    from chroma_lab.models.base import GrayColorizer

    class Broken(GrayColorizer):
        def _predict_ab(self, L):
            return np.zeros(L.shape + (2,)) + np.zeros((3, 5))  # a broadcasting bug

    model = Broken().fit(synthetic_scenes(2, size=16, seed=0)[0])
    monkeypatch.setattr(registry, "load_colorizer", lambda folder: model)
    with pytest.raises(ValueError, match="could not be broadcast"):
        _run(images[0][:2], tmp_path / "any", tmp_path / "out")
    assert "error:" not in capsys.readouterr().err


def test_a_symlink_loop_among_the_inputs_fails_alone(images, model_dir, tmp_path, capsys):
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    good = images[0][:2]
    assert _run([good[0], loop, good[1]], model_dir, tmp_path / "out") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"chroma-lab colorize: error: '{loop}': a symbolic link loop", err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.stem + ".png" for p in good)


@pytest.mark.parametrize("command", ["colorize", "evaluate"])
@pytest.mark.parametrize("key, value, message", [
    ("image_size", 8_000_000, "image_size must be at most 1024"),
    ("size", "huge", "size must be one of"),
    ("temperature", -1, "temperature must be a number >= 0"),
])  # fmt: skip
def test_settings_of_a_model_folder_are_validated(command, key, value, message, model_dir, images, tmp_path, capsys):
    """An edited colorizer.json is checked as constructor arguments are, with upper bounds: one
    line naming the file, not a TensorFlow out-of-memory traceback."""
    import json

    folder = tmp_path / "edited"
    shutil.copytree(model_dir, folder)
    settings = json.loads((folder / "colorizer.json").read_text())
    (folder / "colorizer.json").write_text(json.dumps({**settings, key: value}))
    out = tmp_path / "out"
    if command == "colorize":
        assert _run(images[0][:1], folder, out) == 1
    else:
        assert cli.main(["evaluate", "--models", str(folder), "--data", "scenes", "--n-scenes", "4",
                         "--size", "16", "--test-size", "2", "--out", str(out)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith(f"chroma-lab {command}: error: '{folder / 'colorizer.json'}' holds settings")
    assert message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


def _trained(name, folder):
    """A tiny model of the registered class ``name``, trained one epoch on 8 scenes of 16 px."""
    from chroma_lab.models.registry import colorizer_class

    images = synthetic_scenes(8, size=16, seed=0)[0]
    colorizer_class(name)(image_size=16, epochs=1, batch_size=4, verbose=0).fit(images).save(folder)
    return folder


def _registered():
    from chroma_lab.models.registry import TRAINABLE

    return list(TRAINABLE)


@pytest.mark.slow
@pytest.mark.parametrize("name", _registered())
def test_every_registered_model_colorizes_photos_of_mixed_sizes(name, tmp_path, capsys):
    """Real photos come in many sizes: the first, a second (Keras would retrace a compiled
    predict function, leaving the size unknown) and a third, each at its own size. Before the
    fix Iizuka's model ended in OperatorNotAllowedInGraphError (UpSampling2D, shape None)."""
    rng = np.random.default_rng(0)
    paths = []
    for i, (h, w) in enumerate([(144, 256), (142, 256), (256, 171), (37, 53)]):
        path = tmp_path / f"photo{i}.png"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
        paths.append((path, (h, w)))
    model = _trained(name, tmp_path / name)
    assert _run([p for p, _ in paths], model, tmp_path / "out") == 0, capsys.readouterr().err
    for path, shape in paths:
        assert np.asarray(Image.open(tmp_path / "out" / path.name)).shape == shape + (3,)
