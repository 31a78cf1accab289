"""``chroma-lab evaluate``: a course model, a baseline name and a saved model folder end to end on
tiny scenes; a corpus of bad inputs, each one error line, exit status 1 and nothing written."""

import csv

import pytest

from chroma_lab import cli
from chroma_lab.course import load_split
from chroma_lab.data import to_gray
from chroma_lab.evaluate import METRIC_KEYS, format_value
from chroma_lab.models.registry import load_colorizer
from chroma_lab.models.zhang2016 import ZhangColorizer
from chroma_lab.scenes import synthetic_scenes

TINY = ["--data", "scenes", "--n-scenes", "6", "--size", "16", "--test-size", "2", "--seed", "1"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained small Zhang model (epochs=0): the harness only needs one that loads."""
    folder = tmp_path_factory.mktemp("zhang")
    images = synthetic_scenes(4, size=16, seed=0)[0]
    ZhangColorizer(image_size=16, epochs=0, batch_size=4, verbose=0).fit(images).save(folder)
    return folder


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow  # the command end to end, training a CNN
def test_course_model_baseline_and_folder_end_to_end(model_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    assert cli.main(["evaluate", "--models", "lookup", "cnn", str(model_dir), "--scale", "0.01",
                     "--out", str(out), *TINY]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    for file in ("results.csv", "summary.csv", "report.md", "report.html", "grid.png", "metrics.png"):
        assert (out / file).is_file()
    summary = {row["method"]: row for row in read_csv(out / "summary.csv")}
    assert list(summary) == ["gray", "random", "lookup", "cnn", str(model_dir)]
    rows = read_csv(out / "results.csv")
    assert len(rows) == 2 * len(summary)
    assert "given (the true surfaces)" in (out / "report.md").read_text()
    for method, row in summary.items():  # the printed table shows the summary's numbers
        line = next(line.split() for line in printed.splitlines() if line.split()[:1] == [method])
        assert line[2:4] == [format_value(k, float(row[k])) for k in ("auc_raw", "auc_rebalanced")]
    # the folder's model colours the held-out images as loaded: its per-image scores are theirs
    split = load_split("scenes", size=16, n_scenes=6, test_size=2, seed=1)
    from chroma_lab.evaluate import evaluate_predictions

    colours = load_colorizer(model_dir).colorize(to_gray(split.test))
    expected = evaluate_predictions(split.test, {"m": colours}, regions=split.test_regions).rows
    got = [row for row in rows if row["method"] == str(model_dir)]
    for row, want in zip(got, expected):
        for key in METRIC_KEYS:
            assert float(row[key]) == pytest.approx(want[key], rel=1e-12, nan_ok=True)


@pytest.mark.parametrize("args, message", [
    (["--models", "resnet"], "unknown model 'resnet'; use gray, random, lookup, som, cnn, zhang, zhang-l2"),
    (["--models", "{empty}"], "holds no saved colorizer: expected colorizer.json and model.keras in it"),
    (["--models", "lookup", "--data", "cifar"], "unknown data spec 'cifar'; use photos, scenes or folder:PATH"),
    (["--models", "lookup", "--data", "folder:"], "unknown data spec 'folder:'"),
    (["--models", "lookup", "--data", "folder:{missing}"], "no such folder"),
    (["--models", "lookup", "--test-size", "0"], "--test-size must be a share in (0, 1) or a whole number"),
    (["--models", "lookup", "--size", "8"], "--size must be an int >= 16, got 8"),
    (["--models", "lookup", "--scale", "-1"], "--scale must be a number > 0"),
    (["--models", "lookup", "--out", "{file}"], "is a file; give a folder"),
])  # fmt: skip
def test_bad_inputs_are_one_line_and_write_nothing(args, message, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    places = {"empty": tmp_path / "empty", "missing": tmp_path / "missing", "file": tmp_path / "file"}
    args = [a.format(**places) for a in args]
    out = tmp_path / "out"
    command = ["evaluate", *args] + ([] if "--out" in args else ["--out", str(out)])
    assert cli.main(command) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("chroma-lab evaluate: error: ")
    assert message in err
    assert not out.exists() and (tmp_path / "file").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file"]


def test_uniform_images_name_no_option_the_command_lacks(tmp_path, capsys):
    """Images of one colour: one line about the data, not "lower n_colors" (no such option)."""
    import numpy as np
    from PIL import Image

    folder = tmp_path / "uniform"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(np.full((20, 20, 3), (120, 60, 30), np.uint8)).save(folder / f"{i}.png")
    assert cli.main(["evaluate", "--models", "lookup", "--data", f"folder:{folder}", "--size", "16",
                     "--test-size", "2", "--out", str(tmp_path / "out")]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("chroma-lab evaluate: error: ")
    assert "too uniform for the lookup baseline" in err and "lower n_colors" not in err, err
