"""The hint-count sweep of the evaluation harness, ``chroma-lab evaluate`` and ``chroma-lab demo``: only
for the colorizers that take hints, its 0-hint column the plain colorization's score, Levin's
result on a one-colour scene, the report's files and the printed tables."""

import csv
import io

import numpy as np
import pytest

from chroma_lab import cli
from chroma_lab.cli import demo
from chroma_lab.color import lab_to_rgb, rgb_to_gray
from chroma_lab.course import BASELINES, load_split, train_and_compare
from chroma_lab.evaluate import combine_evaluations
from chroma_lab.evaluate import HintSweep, evaluate, format_value, write_report
from chroma_lab.metrics import colorfulness, psnr
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.levin2004 import LevinColorizer
from chroma_lab.scenes import synthetic_scenes

COUNTS = (0, 2, 10)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def scenes():
    return synthetic_scenes(4, size=24, seed=2)[0]


@pytest.fixture(scope="module")
def swept(scenes):
    colorizers = {"levin": LevinColorizer.fitted(), "flat": GrayColorizer().fit(scenes)}
    return evaluate(colorizers, scenes, hint_counts=COUNTS, seed=3, progress=False)


def test_only_models_that_take_hints_are_swept_and_0_hints_is_their_plain_score(scenes, swept):
    assert list(swept.hints.results) == ["levin"] and swept.hints.counts == COUNTS and swept.hints.seed == 3
    levin = swept.hints.results["levin"]
    assert levin["psnr"][0] == swept.summary["levin"]["psnr"]  # the same colorization, the same score
    assert levin["colorfulness"][0] == swept.summary["levin"]["colorfulness"]
    plain = LevinColorizer.fitted().colorize(rgb_to_gray(scenes))
    assert levin["psnr"][0] == psnr(scenes, plain) and levin["psnr"][2] > levin["psnr"][0] + 1
    assert evaluate({"levin": LevinColorizer.fitted()}, scenes, progress=False).hints is None  # not asked for
    gray_only = evaluate({"flat": GrayColorizer().fit(scenes)}, scenes, hint_counts=COUNTS, progress=False)
    assert gray_only.hints is None  # nothing takes hints: no sweep at all
    for bad in ((), (2, 2), (-1,), "05"):
        with pytest.raises(ValueError, match="hint_counts"):
            evaluate({"levin": LevinColorizer.fitted()}, scenes, hint_counts=bad, progress=False)


def test_levin_on_one_colour_scenes_gets_the_truth_from_one_hint_on():
    # A constant ab solves Levin's system (every row of the weights sums to 1) and is its only
    # solution once one pixel is fixed (the window graph is connected): any hint, taken from a
    # one-colour truth, gives back that colour everywhere; no hint gives gray.
    L = np.tile(np.linspace(35, 75, 24), (24, 1))
    colours = [(20.0, -15.0), (-20.0, 20.0), (10.0, 25.0)]
    lab = np.stack([np.dstack([L, np.full_like(L, a), np.full_like(L, b)]) for a, b in colours])
    raw = lab_to_rgb(lab, clip=False)
    assert raw.min() > 0 and raw.max() < 1  # inside the gamut: the truth's ab is constant
    images = np.round(raw * 255).astype(np.uint8)
    result = evaluate({"levin": LevinColorizer.fitted()}, images, hint_counts=(0, 1, 2, 5, 10, 20), progress=False)
    curve = result.hints.results["levin"]["psnr"]
    gray = np.repeat(rgb_to_gray(images)[..., None], 3, axis=-1)
    assert curve[0] == pytest.approx(psnr(images, gray), abs=0.05)
    # from one hint on: the truth up to 8-bit rounding (an RGB error well under one level), far above
    # gray; more hints lower it by no more than the rounding of their colours moves it
    assert min(curve[1:]) > 50 > curve[0] + 25
    assert max(curve[1:]) - min(curve[1:]) < 1
    truth_colour = colorfulness(images)
    assert result.hints.results["levin"]["colorfulness"][-1] == pytest.approx(truth_colour, rel=0.02)


@pytest.mark.slow  # draws three figures, twice (~3 s)
def test_the_report_writes_the_sweep_as_csv_table_and_figure(swept, tmp_path):
    paths = write_report(swept, tmp_path)
    assert paths["hints.csv"].is_file() and paths["hints.png"].stat().st_size > 0
    rows = read_csv(paths["hints.csv"])
    assert [(r["method"], int(r["hints"])) for r in rows] == [("levin", c) for c in COUNTS]
    assert [float(r["psnr"]) for r in rows] == swept.hints.results["levin"]["psnr"]
    assert [float(r["colorfulness"]) for r in rows] == swept.hints.results["levin"]["colorfulness"]
    assert {r["seed"] for r in rows} == {"3"}
    cells = " | ".join(format_value("psnr", v) for v in swept.hints.results["levin"]["psnr"])
    assert f"| levin | {cells} |" in paths["report.md"].read_text()
    html_cells = "".join(f"<td>{format_value('psnr', v)}</td>" for v in swept.hints.results["levin"]["psnr"])
    assert f"<td>levin</td>{html_cells}</tr>" in paths["report.html"].read_text()
    plain = evaluate({"flat": GrayColorizer().fit(swept.truth)}, swept.truth, progress=False)
    assert "hints.csv" not in write_report(plain, tmp_path / "plain")
    assert not (tmp_path / "plain" / "hints.csv").exists()
    assert "hints" not in (tmp_path / "plain" / "report.md").read_text()


def test_compare_prints_the_sweep_and_combine_merges_it():
    split = load_split("scenes", size=16, n_scenes=8, test_size=3, seed=1)
    stream = io.StringIO()
    result = train_and_compare(split, ["levin2004"], seed=4, progress=False, stream=stream, hint_counts=COUNTS)
    assert result.methods == [*BASELINES, "levin2004"] and list(result.hints.results) == ["levin2004"]
    values = result.hints.results["levin2004"]
    assert values["psnr"][0] == result.summary["levin2004"]["psnr"]
    printed = stream.getvalue().split("against the number of hints")[1].splitlines()
    header = next(line.split() for line in printed if line.startswith("psnr"))
    row = next(line.split() for line in printed if line.startswith("levin2004"))
    assert header[1:] == [str(c) for c in COUNTS] and row[1:] == [f"{v:.2f}" for v in values["psnr"]]
    other = HintSweep(counts=COUNTS, seed=5, results={"x": values})
    part = evaluate({"y": GrayColorizer().fit(split.test)}, split.test, regions=split.test_regions,
                    image_names=split.test_names, progress=False)  # fmt: skip
    part.hints = other
    with pytest.raises(ValueError, match="same numbers of hints with the same seed"):
        combine_evaluations([result, part])
    part.hints = HintSweep(counts=COUNTS, seed=4, results={"x": values})
    assert list(combine_evaluations([result, part]).hints.results) == ["levin2004", "x"]


@pytest.mark.slow  # imports Keras and builds a network (~5 s)
def test_evaluate_command_sweeps_a_hint_model_folder_and_levin_not_the_others(tmp_path, capsys):
    from chroma_lab.models.guided2017 import GuidedColorizer

    folder = tmp_path / "guided"
    GuidedColorizer(image_size=16, epochs=0, batch_size=4, verbose=0).fit(synthetic_scenes(4, size=16)[0]).save(folder)
    out = tmp_path / "eval"
    tiny = ["--data", "scenes", "--n-scenes", "6", "--size", "16", "--test-size", "2", "--seed", "1"]
    assert cli.main(["evaluate", "--models", "levin2004", str(folder), "--out", str(out), *tiny]) == 0
    printed = capsys.readouterr().out
    rows = read_csv(out / "hints.csv")
    assert sorted({r["method"] for r in rows}) == sorted(["levin2004", str(folder)])
    summary = {r["method"]: r for r in read_csv(out / "summary.csv")}
    for method in ("levin2004", str(folder)):  # 0 hints: the plain colorization's score
        zero = next(r for r in rows if r["method"] == method and r["hints"] == "0")
        assert float(zero["psnr"]) == pytest.approx(float(summary[method]["psnr"]), abs=1e-6)
    assert [int(r["hints"]) for r in rows if r["method"] == "levin2004"] == [0, 1, 2, 5, 10, 20]
    assert "against the number of hints" in printed and (out / "hints.png").is_file()
    plain = tmp_path / "plain"
    assert cli.main(["evaluate", "--models", "lookup", "--out", str(plain), *tiny]) == 0
    assert "against the number of hints" not in capsys.readouterr().out and not (plain / "hints.csv").exists()


@pytest.mark.slow  # the demo end to end twice with levin2004 alone (~10 s)
def test_demo_shows_levins_sweep_for_both_sets_the_same_for_a_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "MODELS", ("levin2004",))
    for run in ("a", "b"):
        assert cli.main(["demo", "--out", str(tmp_path / run), "--n-scenes", "8", "--size", "16", "--seed", "2",
                         "--no-figures"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    out = tmp_path / "a"
    index = (out / "index.html").read_text()
    for name in demo.SETS:
        assert (out / name / "hints.csv").read_bytes() == (tmp_path / "b" / name / "hints.csv").read_bytes()
        rows = read_csv(out / name / "hints.csv")
        assert [int(r["hints"]) for r in rows] == [0, 1, 2, 5, 10, 20] and {r["seed"] for r in rows} == {"2"}
        cells = "".join(f"<td>{format_value('psnr', float(r['psnr']))}</td>" for r in rows)
        assert f"<tr><td>levin2004</td>{cells}</tr>" in index
        assert f'src="{name}/hints.png"' in index and (out / name / "hints.png").is_file()
    assert printed.count("against the number of hints") == 4  # two sets, two runs


def test_the_demo_has_a_model_that_takes_hints_and_a_trained_guided_one_is_within_reach():
    from chroma_lab.course import build_model

    takers = [name for name in demo.MODELS if build_model(name, 120, 64).takes_hints]
    assert takers == ["levin2004"]  # the README's first command shows the sweep, with nothing to train
    assert build_model("guided", 120, 64).takes_hints  # chroma-lab evaluate --models guided
