"""chroma_lab.evaluate: baselines, the measures per image and per method, the report's files."""

import csv
import re
import sys
import types
from html.parser import HTMLParser

import numpy as np
import pytest

from chroma_lab import metrics
from chroma_lab.color import rgb_to_lab
from chroma_lab.data import to_gray
from chroma_lab.evaluate import (METRIC_KEYS, Evaluation, RandomColorizer, baselines, evaluate,
                                 evaluate_predictions, format_value, write_report)  # fmt: skip
from chroma_lab.models.base import GrayColorizer
from chroma_lab.quantize import N_BINS, ab_bins, nearest_bin
from chroma_lab.scenes import synthetic_scenes


@pytest.fixture(scope="module")
def data():
    train, _ = synthetic_scenes(6, size=32, seed=0)
    test, _, regions = synthetic_scenes(4, size=32, seed=1, return_regions=True)
    return train, test, regions


@pytest.fixture(scope="module")
def fitted(data):
    return baselines(data[0], seed=0)


class Oracle:
    """Answers with the truth's colours: what a perfect colorizer would return."""

    def __init__(self, truth):
        self.by_gray = {g.tobytes(): t for g, t in zip(to_gray(truth), truth)}

    def colorize(self, gray):
        return np.stack([self.by_gray[g.tobytes()] for g in gray])


@pytest.fixture(scope="module")
def result(data, fitted):
    _, test, regions = data
    models = {**fitted, "oracle": Oracle(test), "odd <name> & | pipe": GrayColorizer().fit(test)}
    return evaluate(models, test, regions=regions, progress=False, batch_size=3)


# ----------------------------------------------------------------------------------------------
# Baselines
# ----------------------------------------------------------------------------------------------
def test_baselines_are_fitted_and_gray_is_gray(data, fitted):
    train, test, _ = data
    assert list(fitted) == ["gray", "random", "lookup"]
    out = fitted["gray"].colorize(to_gray(test))
    assert np.abs(rgb_to_lab(out)[..., 1:]).max() < 1.0


def test_random_colours_follow_the_training_prior(data, fitted):
    train, test, _ = data
    model = fitted["random"]
    counts = np.bincount(nearest_bin(rgb_to_lab(train)[..., 1:]).ravel(), minlength=N_BINS)
    np.testing.assert_allclose(model.prior_, counts / counts.sum())
    # many draws on a flat mid-gray: each is a bin centre, with the prior's frequencies
    L = np.full((1, 200, 200), 50.0)
    centres, inverse = np.unique(model._predict_ab(L).reshape(-1, 2), axis=0, return_inverse=True)
    match = np.all(centres[:, None] == ab_bins()[None], axis=-1)
    assert np.all(match.sum(axis=1) == 1)  # every drawn ab is exactly one bin's centre
    index = match.argmax(axis=1)[inverse.ravel()]
    frequency = np.bincount(index, minlength=N_BINS) / index.size
    assert np.all(frequency[model.prior_ == 0] == 0)  # never a colour unseen in training
    assert np.abs(frequency - model.prior_).sum() < 0.05


def test_random_colours_are_seeded_and_independent_of_the_batch(data, fitted):
    train, test, _ = data
    gray = to_gray(test)
    model = fitted["random"]
    both = model.colorize(gray)
    np.testing.assert_array_equal(both, model.colorize(gray))
    np.testing.assert_array_equal(both[2:], model.colorize(gray[2:]))  # image by image
    other = RandomColorizer(random_state=1).fit(train).colorize(gray)
    assert not np.array_equal(other, both)
    assert not np.array_equal(both[0], both[1])


# ----------------------------------------------------------------------------------------------
# Measures
# ----------------------------------------------------------------------------------------------
def test_rows_and_summary_are_the_metrics_of_images_and_of_the_set(data, result):
    _, test, regions = data
    n = len(test)
    assert result.methods == ["gray", "random", "lookup", "oracle", "odd <name> & | pipe"]
    assert len(result.rows) == n * len(result.methods)
    prior = metrics.class_prior(rgb_to_lab(test)[..., 1:], sigma=None)
    pred = result.predictions["lookup"]
    whole = metrics.all_scores(test, pred, regions, prior=prior)
    for key in METRIC_KEYS:
        assert result.summary["lookup"][key] == pytest.approx(whole[key], nan_ok=True)
    rows = [row for row in result.rows if row["method"] == "lookup"]
    assert [row["index"] for row in rows] == list(range(n))
    one = metrics.all_scores(test[2], pred[2], regions[2], prior=prior)
    for key in METRIC_KEYS:
        assert rows[2][key] == pytest.approx(one[key], nan_ok=True)
    # equal-sized images: the pooled AuC raw and ab error are the means of the images'
    for key in ("auc_raw", "mean_ab_error", "incoherence", "psnr", "ssim"):
        assert result.summary["lookup"][key] == pytest.approx(np.mean([r[key] for r in rows]))


def test_the_oracle_is_perfect_and_gray_loses_every_edge(result):
    oracle, gray = result.summary["oracle"], result.summary["gray"]
    assert oracle["auc_raw"] == 100.0 and oracle["mean_ab_error"] == 0.0
    assert oracle["incoherence"] == 0.0 and oracle["bleeding"] == 0.0
    assert oracle["ssim"] == pytest.approx(1.0) and oracle["colorfulness_gap"] == 0.0
    assert gray["bleeding"] == pytest.approx(1.0, abs=1e-3) and gray["colorfulness"] == 0.0
    # random colours keep (too much) contrast at edges but are incoherent inside surfaces
    random = result.summary["random"]
    assert random["bleeding"] < gray["bleeding"]
    assert random["incoherence"] > 2 * gray["incoherence"]


def test_default_regions_and_prior_are_said(data, fitted):
    _, test, regions = data
    guessed = evaluate({"gray": fitted["gray"]}, test, progress=False)
    assert "lightness" in guessed.regions_source and "own class histogram" in guessed.prior_source
    exact = evaluate_predictions(test, guessed.predictions, regions=metrics.lightness_regions(test))
    assert exact.summary == guessed.summary  # the default is lightness_regions of the truth
    uniform = np.full(N_BINS, 1.0 / N_BINS)
    given = evaluate_predictions(test, guessed.predictions, regions=regions, prior=uniform)
    assert given.prior_source == "the prior passed in" and given.regions_source.startswith("given")
    assert given.summary["gray"]["auc_rebalanced"] == pytest.approx(
        given.summary["gray"]["auc_raw"])  # a flat prior weighs every pixel the same


def test_a_saved_folder_is_loaded_through_the_registry(data, tmp_path, monkeypatch):
    _, test, regions = data
    loaded = []

    def load_colorizer(folder):
        loaded.append(folder)
        return GrayColorizer().fit(test)

    registry = types.ModuleType("chroma_lab.models.registry")
    registry.load_colorizer = load_colorizer
    monkeypatch.setitem(sys.modules, "chroma_lab.models.registry", registry)
    result = evaluate({"saved": str(tmp_path)}, test, regions=regions, progress=False)
    assert loaded == [tmp_path] and result.methods == ["saved"]


def test_progress_bars_while_colorizing(data, fitted, capsys):
    _, test, regions = data
    evaluate({"gray": fitted["gray"]}, test, regions=regions, progress=True, batch_size=2)
    assert "colorizing: gray" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------------------------------
def test_bad_inputs_name_the_argument(data, fitted, tmp_path):
    _, test, regions = data
    gray = {"gray": fitted["gray"]}
    cases = [
        (lambda: evaluate({}, test), "colorizers must be a non-empty dict"),
        (lambda: evaluate([fitted["gray"]], test), "colorizers must be a non-empty dict"),
        (lambda: evaluate({"x": "no/such/model"}, test, progress=False), r"colorizers\['x'\]"),
        (lambda: evaluate({"x": 42}, test, progress=False), r"colorizers\['x'\] must be a fitted"),
        (lambda: evaluate({"": fitted["gray"]}, test, progress=False), "non-empty method names"),
        (lambda: evaluate(gray, test[0]), r"images must have shape \(n, H, W, 3\)"),
        (lambda: evaluate(gray, test, regions=regions[:, :5], progress=False), "regions must"),
        (lambda: evaluate(gray, test, regions=regions[:2], progress=False), "regions must"),
        (lambda: evaluate(gray, test, prior=np.ones(5), progress=False), "prior must hold 313"),
        (lambda: evaluate(gray, test, image_names=["a"], progress=False), "image_names"),
        (lambda: evaluate(gray, test, batch_size=0), "batch_size"),
        (lambda: evaluate_predictions(test, {"p": test[:2]}), r"predictions\['p'\]"),
        (lambda: evaluate_predictions(test, {}), "predictions must be a non-empty dict"),
        (lambda: write_report({"not": "an evaluation"}, tmp_path), "evaluation must be"),
        (lambda: baselines(test[0]), "train_images"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()


def test_a_colorizer_returning_the_wrong_shape_is_named(data):
    _, test, regions = data

    class Broken:
        def colorize(self, gray):
            return np.zeros(gray.shape, dtype=np.uint8)

    with pytest.raises(ValueError, match=r"colorizers\['broken'\].colorize returned"):
        evaluate({"broken": Broken()}, test, regions=regions, progress=False)


# ----------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------
def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class CellParser(HTMLParser):
    """Collects (method, image, metric) -> text from the report's data- attributes."""

    def __init__(self):
        super().__init__()
        self.cells, self.images, self.links = {}, [], []
        self._method = self._image = self._metric = None
        self._summary = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("class") == "summary":
            self._summary = True
        if "data-image" in attrs:
            self._image, self._summary = attrs["data-image"], False
        if "data-method" in attrs:
            self._method = attrs["data-method"]
        if "data-metric" in attrs:
            self._metric = attrs["data-metric"]
        if tag == "img":
            self.images.append(attrs["src"])
        self.links += [v for k, v in attrs.items() if k in ("src", "href") and v]

    def handle_data(self, data):
        if self._metric is not None:
            image = "(all)" if self._summary else self._image
            self.cells[(self._method, image, self._metric)] = data
            self._metric = None


def test_report_files_hold_the_same_figures(result, tmp_path):
    paths = write_report(result, tmp_path / "report", max_images=3)
    assert sorted(p.name for p in paths.values()) == sorted(
        ["results.csv", "summary.csv", "report.md", "report.html", "grid.png", "metrics.png"])
    for path in paths.values():
        assert path.is_file() and path.stat().st_size > 0
    for png in ("grid.png", "metrics.png"):
        assert paths[png].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "report").glob(".*"))  # no temporaries left behind

    rows = read_csv(paths["results.csv"])
    assert len(rows) == len(result.rows)
    for row, expected in zip(rows, result.rows):
        assert row["method"] == expected["method"] and int(row["index"]) == expected["index"]
        for key in METRIC_KEYS:  # full precision: the CSV reads back the same floats
            assert float(row[key]) == pytest.approx(expected[key], rel=1e-15, nan_ok=True)
    summary = {row["method"]: row for row in read_csv(paths["summary.csv"])}
    assert list(summary) == result.methods

    # report.md: one table row per method, its cells the summary CSV's values rounded
    table = [line for line in paths["report.md"].read_text().splitlines() if line.startswith("| ")]
    header = [c.strip() for c in table[0].strip("|").split("|")]
    assert len(header) == 1 + len(METRIC_KEYS)
    body = [re.split(r"(?<!\\)\|", line.strip()[1:-1]) for line in table[2 : 2 + len(summary)]]
    for cells, (name, row) in zip(body, summary.items()):
        assert cells[0].strip().replace("\\|", "|") == name
        assert [c.strip() for c in cells[1:]] == [format_value(k, float(row[k])) for k in METRIC_KEYS]

    # report.html: the summary table and every shown image's numbers equal the CSVs'
    page = paths["report.html"].read_text()
    parser = CellParser()
    parser.feed(page)
    for name, row in summary.items():
        for key in METRIC_KEYS:
            assert parser.cells[(name, "(all)", key)] == format_value(key, float(row[key]))
    shown = [row for row in rows if int(row["index"]) < 3]
    for row in shown:
        for key in METRIC_KEYS:
            if key != "colorfulness_true":
                assert parser.cells[(row["method"], row["image"], key)] == format_value(key, float(row[key]))
    assert not any(row["image"] == result.image_names[3] for row in shown)
    n_methods = len(result.methods)
    assert len(parser.images) == 3 * (2 + n_methods)  # gray, truth, each method
    assert all(src.startswith("data:image/png;base64,") for src in parser.links)  # self-contained
    assert "<name>" not in page and "&lt;name&gt; &amp; | pipe" in page


@pytest.mark.slow  # two whole runs, K-means and figures included: about 10 s on 2 busy cores
def test_train_images_add_the_baselines_and_a_seed_gives_the_same_files(data, tmp_path):
    train, test, _ = data
    tiny_train = train[:2, :16, :16]
    written = []
    for run in ("a", "b"):  # everything from scratch: baselines fitted, regions guessed
        result = evaluate({"mine": GrayColorizer().fit(tiny_train)}, test[:2],
                          train_images=tiny_train, seed=3, progress=False)  # fmt: skip
        assert result.methods == ["gray", "random", "lookup", "mine"]
        written.append(write_report(result, tmp_path / run, max_images=2))
    for name in ("results.csv", "summary.csv", "report.md", "report.html"):
        assert written[0][name].read_bytes() == written[1][name].read_bytes()
    with pytest.raises(ValueError, match="baseline names"):
        evaluate({"gray": GrayColorizer().fit(tiny_train)}, test[:2], train_images=tiny_train,
                 progress=False)  # fmt: skip


def test_format_value():
    assert format_value("auc_raw", 91.2345) == "91.23"
    assert format_value("bleeding", 0.12345) == "0.123"
    assert format_value("psnr", float("inf")) == "inf"
    assert format_value("bleeding", float("nan")) == "nan"


def test_evaluation_is_what_write_report_takes(result):
    assert isinstance(result, Evaluation)
    assert result.truth.shape[0] == len(result.image_names) == result.gray.shape[0]
    assert set(result.seconds) == set(result.methods)


def test_write_report_refuses_a_file_as_folder_and_max_images(result, tmp_path):
    file = tmp_path / "taken"
    file.write_text("x")
    with pytest.raises(ValueError, match="out_dir"):
        write_report(result, file)
    with pytest.raises(ValueError, match="max_images"):
        write_report(result, tmp_path / "out", max_images=0)
    assert file.read_text() == "x" and not (tmp_path / "out").exists()


def test_a_folder_that_holds_no_model_is_a_value_error(data, tmp_path):
    _, test, regions = data
    with pytest.raises(ValueError, match="holds no saved colorizer"):  # the registry's own words
        evaluate({"empty": tmp_path}, test, regions=regions, progress=False)


@pytest.mark.slow  # imports Keras
def test_a_saved_model_folder_colours_as_the_fitted_object(data, tmp_path):
    from chroma_lab.models.palette_cnn import PaletteCNNColorizer

    train, test, regions = data
    model = PaletteCNNColorizer(n_colors=3, image_size=16, filters=2, epochs=0, verbose=0)
    model.fit(train[:, :16, :16]).save(tmp_path / "cnn")
    result = evaluate({"object": model, "folder": tmp_path / "cnn", "as str": str(tmp_path / "cnn")},
                      test, regions=regions, progress=False)  # fmt: skip
    np.testing.assert_array_equal(result.predictions["folder"], result.predictions["object"])
    np.testing.assert_array_equal(result.predictions["as str"], result.predictions["object"])
    assert result.summary["folder"] == result.summary["object"]


def test_baselines_are_the_ones_named_in_baselines(fitted):
    from chroma_lab.evaluate import BASELINES

    assert tuple(fitted) == BASELINES == ("gray", "random", "lookup")
