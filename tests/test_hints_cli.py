"""``chroma-lab colorize --hints``: dots from an RGBA image reach Levin and the guided model; a hints
image of another size or without alpha, or a model that takes no hints, is refused in one line."""

import numpy as np
import pytest
from PIL import Image

from chroma_lab import cli
from chroma_lab.color import rgb_to_lab
from chroma_lab.models.guided2017 import GuidedColorizer
from chroma_lab.models.zhang2016 import ZhangColorizer
from chroma_lab.scenes import synthetic_scenes


@pytest.fixture()
def photo(tmp_path):
    rgb = synthetic_scenes(1, size=32, seed=5)[0][0][:, :24]  # 24 wide, 32 high
    path = tmp_path / "photo.png"
    Image.fromarray(rgb).save(path)
    return path, rgb


def _dots(tmp_path, rgb, where, name="dots.png", mode="RGBA"):
    rgba = np.zeros(rgb.shape[:2] + (4,), dtype=np.uint8)
    for y, x in where:
        rgba[y, x, :3], rgba[y, x, 3] = rgb[y, x], 255
    path = tmp_path / name
    image = Image.fromarray(rgba, mode="RGBA")
    (image if mode == "RGBA" else image.convert(mode)).save(path)
    return path


def _run(*argv):
    return cli.main(["colorize", *map(str, argv)])


def test_levin_keeps_the_users_colours(photo, tmp_path):
    path, rgb = photo
    where = [(y, x) for y in range(2, 32, 6) for x in range(2, 24, 6)]
    dots = _dots(tmp_path, rgb, where)
    assert _run(path, "--model", "levin2004", "--hints", dots, "--out", tmp_path / "out") == 0
    out = np.asarray(Image.open(tmp_path / "out" / "photo.png"))
    ab_out, ab_true = rgb_to_lab(out)[..., 1:], rgb_to_lab(rgb)[..., 1:]
    for y, x in where:
        assert np.linalg.norm(ab_out[y, x] - ab_true[y, x]) < 3.0


def test_guided_model_takes_the_dots(photo, tmp_path):
    path, rgb = photo
    folder = tmp_path / "guided"
    GuidedColorizer(image_size=16, epochs=0, batch_size=2, verbose=0).fit(synthetic_scenes(2, 16)[0]).save(folder)
    dots = _dots(tmp_path, rgb, [(5, 5), (20, 10)])
    assert _run(path, "--model", folder, "--hints", dots, "--out", tmp_path / "a") == 0
    assert _run(path, "--model", folder, "--out", tmp_path / "b") == 0
    hinted = np.asarray(Image.open(tmp_path / "a" / "photo.png"))
    automatic = np.asarray(Image.open(tmp_path / "b" / "photo.png"))
    assert hinted.shape == automatic.shape == rgb.shape and not np.array_equal(hinted, automatic)


@pytest.mark.parametrize("case, message", [
    ("small", "--hints '{dots}' is 10x10 but '{photo}' is 24x32: draw the dots on an image of the photo's size"),
    ("rgb", "--hints '{dots}' has no alpha channel (mode RGB)"),
    ("zhang", "takes no hints (guided and levin2004 do)"),
    ("two", "--hints belongs to one photo; got 2"),
])  # fmt: skip
def test_refused_in_one_line(case, message, photo, tmp_path, capsys):
    path, rgb = photo
    model = "levin2004"
    if case == "small":
        dots = _dots(tmp_path, rgb[:10, :10], [(1, 1)])
    else:
        dots = _dots(tmp_path, rgb, [(1, 1)], mode="RGB" if case == "rgb" else "RGBA")
    photos = [path, path] if case == "two" else [path]
    if case == "zhang":
        model = tmp_path / "zhang"
        ZhangColorizer(image_size=16, epochs=0, batch_size=2, verbose=0).fit(synthetic_scenes(2, 16)[0]).save(model)
    capsys.readouterr()
    assert _run(*photos, "--model", model, "--hints", dots, "--out", tmp_path / "out") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message.format(dots=dots, photo=path) in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_train_guided_streams_resumes_and_evaluates(tmp_path, capsys):
    """``train guided`` from a streamed folder, ``--resume`` to more epochs, then ``evaluate`` on it."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate(synthetic_scenes(8, size=20, seed=3)[0]):
        Image.fromarray(image).save(folder / f"{i}.png")
    out = tmp_path / "run"
    common = ["--data", f"folder:{folder}", "--stream", "--image-size", "16", "--batch-size", "4"]
    assert cli.main(["train", "guided", "--out", str(out), *common, "--epochs", "1"]) == 0
    assert cli.main(["train", "guided", "--out", str(out), *common, "--epochs", "2", "--resume"]) == 0
    model = GuidedColorizer.load(out)
    assert model.epochs_done_ == 2 and model.size == "small"
    capsys.readouterr()
    assert cli.main(["evaluate", "--models", str(out), "--data", "scenes", "--n-scenes", "8", "--size", "16",
                     "--out", str(tmp_path / "eval")]) == 0  # fmt: skip
    assert (tmp_path / "eval" / "summary.csv").is_file()


def test_paint_refuses_bad_options_in_one_line(tmp_path, capsys):
    zhang = tmp_path / "zhang"
    ZhangColorizer(image_size=16, epochs=0, batch_size=2, verbose=0).fit(synthetic_scenes(2, 16)[0]).save(zhang)
    for argv, message in ((["--model", str(zhang)], "takes no hints (guided and levin2004 do)"),
                          (["--model", "levin2004", "--size", "5"], "--size must be an int in 16..2048, got 5"),
                          (["--model", "levin2004", str(tmp_path / "nope.jpg")], "nope.jpg")):  # fmt: skip
        capsys.readouterr()
        assert cli.main(["paint", *argv, "--port", "0"]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err
