"""``chroma-lab demo`` and :mod:`chroma_lab.course`: the model table, train_and_compare() as one evaluation,
every report file written with the same figures as the CSVs, and a seed giving the same files.

The demo's own models are swapped for the SOM + MLP in the fast tests (no Keras training: the
Keras models' fits are tested in their own files); the slow test runs the whole table, tiny."""

import csv
import io
import math
import re

import numpy as np
import pytest

from chroma_lab import cli
from chroma_lab.cli import demo
from chroma_lab.course import BASELINES, COURSE_MODELS, MAX_EPOCHS, Split, build_model, check_model_name
from chroma_lab.course import train_and_compare, load_split
from chroma_lab.evaluate import METRIC_KEYS, combine_evaluations, evaluate_predictions, format_value
from chroma_lab.models.base import GrayColorizer
from chroma_lab.scenes import synthetic_scenes

REPORT_FILES = ["results.csv", "summary.csv", "report.md", "report.html", "grid.png", "metrics.png"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def split():
    return load_split("scenes", size=16, n_scenes=8, test_size=3, seed=1)


def test_load_split_is_seeded_disjoint_and_scenes_have_their_surfaces(split):
    images, labels, regions = synthetic_scenes(8, size=16, seed=1, return_regions=True)
    assert split.train.shape == (5, 16, 16, 3) and split.test.shape == (3, 16, 16, 3)
    test_idx = [int(name[-3:]) for name in split.test_names]
    assert test_idx == sorted(test_idx) and all(name.startswith(labels[i]) for name, i in zip(split.test_names, test_idx))
    np.testing.assert_array_equal(split.test, images[test_idx])
    np.testing.assert_array_equal(split.test_regions, regions[test_idx])
    train_idx = sorted(set(range(8)) - set(test_idx))
    np.testing.assert_array_equal(split.train, images[train_idx])
    again = load_split("scenes", size=16, n_scenes=8, test_size=3, seed=1)
    assert again.test_names == split.test_names
    photos = load_split("photos", size=16, test_size=3, seed=0)
    assert photos.train.shape == (6, 16, 16, 3) and photos.test_regions is None and len(photos.test_names) == 3
    with pytest.raises(ValueError, match="unknown data spec 'cifar'; use photos, scenes or folder:PATH"):
        load_split("cifar")


def test_compare_prints_each_row_and_equals_one_evaluation(split):
    stream = io.StringIO()
    mine = GrayColorizer().fit(split.train)
    result = train_and_compare(split, ["lookup"], {"mine": mine}, seed=2, progress=False, stream=stream)
    assert result.methods == [*BASELINES, "mine"]
    joint = evaluate_predictions(split.test, result.predictions, regions=split.test_regions,
                                 image_names=split.test_names)  # fmt: skip
    assert _text(result.rows) == _text(joint.rows) and _text([result.summary]) == _text([joint.summary])
    assert result.regions_source == joint.regions_source and set(result.seconds) == set(result.methods)
    lines = stream.getvalue().splitlines()
    for method in result.methods:  # the printed row shows the summary's values
        row = next(line.split() for line in lines if line.split()[:1] == [method])
        assert row[2] == format_value("auc_raw", result.summary[method]["auc_raw"])
        assert row[-1] == format_value("bleeding", result.summary[method]["bleeding"])
    assert "true surfaces" in lines[1] and lines[-2].split() == ["truth", format_value(
        "colorfulness", result.summary["gray"]["colorfulness_true"])]  # fmt: skip


def test_combine_refuses_other_images_and_repeated_methods(split):
    a = evaluate_predictions(split.test, {"x": split.test}, regions=split.test_regions)
    b = evaluate_predictions(split.test[:2], {"y": split.test[:2]}, regions=split.test_regions[:2])
    with pytest.raises(ValueError, match="same images"):
        combine_evaluations([a, b])
    with pytest.raises(ValueError, match="'x' appears in more than one part"):
        combine_evaluations([a, a])


def test_bad_model_names_list_the_valid_ones(split):
    with pytest.raises(ValueError, match=r"unknown model 'resnet'; use gray, random, lookup, som, cnn, zhang"):
        check_model_name("resnet")
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        train_and_compare(split, ["som", "resnet"], stream=False)
    with pytest.raises(ValueError, match="sequence of model names"):
        train_and_compare(split, "som", stream=False)
    with pytest.raises(ValueError, match="reuse the names"):
        train_and_compare(split, [], {"gray": GrayColorizer()}, stream=False)


def test_every_course_model_builds_with_a_budget_in_steps():
    for name, entry in COURSE_MODELS.items():
        small, large = build_model(name, 60, 64), build_model(name, 120, 64)
        assert type(small) is type(large) and entry.lesson >= 3 and entry.description
        if hasattr(small, "batch_size"):  # Keras: about the same number of steps either way
            steps = [m.epochs * math.ceil(n / m.batch_size) for m, n in ((small, 60), (large, 120))]
            assert abs(steps[0] - steps[1]) <= max(steps) * 0.1
            tiny = build_model(name, 6, 64).epochs  # a tiny set (one step an epoch): the budget, capped
            assert tiny == MAX_EPOCHS or (tiny < MAX_EPOCHS and abs(tiny - steps[1]) <= steps[1] * 0.1)
            quick = build_model(name, 120, 64, scale=0.35)
            assert quick.epochs < large.epochs
    assert build_model("zhang", 10, 60).image_size == 56  # a multiple of 8
    assert build_model("zhang-l2", 10, 64).loss == "l2" and build_model("zhang", 10, 64).loss == "full"
    with pytest.raises(ValueError, match="scale must be a number > 0"):
        build_model("som", 10, 64, scale=0)


def _run_demo(out, *extra):
    return cli.main(["demo", "--out", str(out), "--n-scenes", "8", "--size", "16", "--scale", "0.05", *extra])


@pytest.mark.slow  # the demo end to end, ~5 s
def test_demo_writes_every_report_with_the_csv_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "MODELS", ("som",))
    out = tmp_path / "demo"
    assert _run_demo(out) == 0
    printed = capsys.readouterr().out
    for name in demo.SETS:
        for file in REPORT_FILES:
            assert (out / name / file).is_file() and (out / name / file).stat().st_size > 0
        summary = {row["method"]: row for row in read_csv(out / name / "summary.csv")}
        assert list(summary) == [*BASELINES, "som"]
        assert len(read_csv(out / name / "results.csv")) == len(summary) * (2 if name == "scenes" else 3)
        table = [line for line in (out / name / "report.md").read_text().splitlines() if line.startswith("| ")]
        for line in table[2 : 2 + len(summary)]:  # report.md: the CSV's values, rounded
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            assert cells[1:] == [format_value(k, float(summary[cells[0]][k])) for k in METRIC_KEYS]
        index = (out / "index.html").read_text()
        for method, row in summary.items():  # the index's table, too
            cells = "".join(f"<td>{format_value(k, float(row[k]))}</td>" for k in METRIC_KEYS)
            assert cells in index
        # the printed table's AuC column
        section = printed.split(f"\n{name}:")[1]
        for method, row in summary.items():
            line = next(line.split() for line in section.splitlines() if line.split()[:1] == [method])
            assert line[2] == format_value("auc_raw", float(row["auc_raw"]))
    assert sorted(p.name for p in (out / "colour_spaces").iterdir()) == [
        "ab_gamut.png", "kmeans_palette.png", "kmeans_quantized.png", "lab_decomposition.png"]
    for link in re.findall(r'(?:href|src)="([^"]+)"', (out / "index.html").read_text()):
        assert (out / link).is_file(), link
    assert not list(out.rglob(".*"))  # no temporaries left behind


@pytest.mark.slow  # the demo twice
def test_demo_is_deterministic_for_a_seed(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "MODELS", ("som",))
    for run in ("a", "b"):
        assert _run_demo(tmp_path / run, "--sets", "scenes", "--no-figures", "--seed", "3") == 0
    files = ["results.csv", "summary.csv", "report.md", "report.html", "index.html"]
    read = {run: [(tmp_path / run / "scenes" / f).read_bytes() for f in files[:-1]]
            + [(tmp_path / run / files[-1]).read_bytes()] for run in "ab"}  # fmt: skip
    assert read["a"] == read["b"]


@pytest.mark.parametrize("extra, message", [
    (["--n-scenes", "2"], "--n-scenes must be an int >= 4, got 2"),
    (["--scale", "0"], "--scale must be a number > 0, got 0.0"),
    (["--seed", "-1"], "--seed must be a non-negative int, got -1"),
])  # fmt: skip
def test_demo_bad_options_are_one_line_and_write_nothing(extra, message, tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), *extra]) == 1
    assert capsys.readouterr().err.strip() == f"chroma-lab demo: error: {message}"
    assert not out.exists()
    (tmp_path / "file").write_text("x")
    assert cli.main(["demo", "--out", str(tmp_path / "file")]) == 1
    assert "is a file; give a folder" in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "x"


@pytest.mark.slow  # every course model, Keras included, twice: about a minute on 2 busy cores
def test_the_whole_table_is_deterministic(tmp_path):
    runs = []
    for run in ("a", "b"):
        split = load_split("scenes", size=16, n_scenes=6, test_size=2, seed=0)
        assert isinstance(split, Split)
        runs.append(train_and_compare(split, list(COURSE_MODELS), seed=0, scale=0.02, progress=False, stream=False))
    assert runs[0].methods == [*BASELINES, *COURSE_MODELS]
    assert _text(runs[0].rows) == _text(runs[1].rows)


def _text(rows):
    """Rows as text, so that NaN (bleeding without edges) equals NaN."""
    return [repr(sorted(row.items())) for row in rows]
