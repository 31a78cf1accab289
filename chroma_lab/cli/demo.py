"""``chroma-lab demo``: the whole course at a glance, on the embedded data (no network, no GPU).

Trains every colorizer of the lessons briefly (:data:`chroma_lab.course.COURSE_MODELS`: the SOM +
patch MLP, the palette CNN, the small Zhang et al. network with its rebalanced loss and with L2;
Levin et al.'s optimisation, which needs no training) beside the gray, random and lookup
baselines, on two sets, and compares them on held-out images with the evaluation harness,
printing each method's row as it finishes; then, for the methods that take user hints (Levin
et al.'s), PSNR and colourfulness with 0, 1, 2, 5, 10 and 20 hints simulated from the truth
(seeded by ``--seed``):

* ``scenes``: synthetic landscapes (:mod:`chroma_lab.scenes`), whose true surfaces make the
  incoherence and bleeding measures exact;
* ``photos``: the 9 photos bundled with the dependencies, a harder set (6 to train on).

Writes into ``--out`` (default ``out/demo``): ``scenes/`` and ``photos/`` (each a report of
:func:`chroma_lab.evaluate.write_report`: results.csv, summary.csv, report.md, report.html,
grid.png, metrics.png, and hints.csv, hints.png for the hint sweep), ``colour_spaces/`` (lesson 1's
figures: a photo in Lab, the ab gamut with the 313 bins, a K-means palette) and ``index.html``
linking them all.

Run time, 2 CPU cores: see the README ("The two commands"). ``--quick`` trains on fewer scenes
with a third of the budget. Same ``--seed``, same files, byte for byte (the printed seconds vary).
"""

from __future__ import annotations

import html
import time
from pathlib import Path

from chroma_lab.cli import check_output_folder, import_keras
from chroma_lab.errors import ChromaLabError

# (n_scenes, budget scale) per mode; the photos are always the 9 bundled ones
FULL = {"n_scenes": 160, "scale": 1.0}
QUICK = {"n_scenes": 64, "scale": 0.35}
SETS = ("scenes", "photos")
IMAGE_SIZE = 64
TEST_SIZE = 0.25  # 40 of 160 scenes, 3 of the 9 photos
# names of COURSE_MODELS; "iizuka" and "coherent" are there too (chroma-lab evaluate --models iizuka
# coherent) but not in the demo: their training would more than double the models' share of the
# demo's time (the "seconds" column that `chroma-lab evaluate --models ...` prints shows each one's);
# "guided" (lesson 8's network) is there too but not here: the demo's brief budget does not teach it
# to follow hints (benchmarks/bench_hints.py trains it for minutes). "levin2004" trains nothing and
# its hint sweep is quick
MODELS = ("som", "cnn", "zhang", "zhang-l2", "levin2004")


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['n_scenes']} scenes and a third of the training")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS), help="which sets (default: both)")
    parser.add_argument("--n-scenes", type=int, help="number of synthetic scenes (default: 160, 64 with --quick)")
    parser.add_argument("--scale", type=float, help="multiplies every training budget (default: 1, 0.35 with --quick)")
    parser.add_argument("--size", type=int, default=IMAGE_SIZE, help=f"image side (default {IMAGE_SIZE})")
    parser.add_argument("--n-colors", type=int, default=32, help="K-means palette size of colour_spaces/ (default 32)")
    parser.add_argument("--no-figures", action="store_true", help="skip lesson 1's colour-space figures")


def main(args) -> int:
    out = check_output_folder(args.out)
    mode = QUICK if args.quick else FULL
    n_scenes = mode["n_scenes"] if args.n_scenes is None else args.n_scenes
    scale = mode["scale"] if args.scale is None else args.scale
    if n_scenes < 4:
        raise ChromaLabError(f"--n-scenes must be an int >= 4, got {n_scenes}")
    if not scale > 0:
        raise ChromaLabError(f"--scale must be a number > 0, got {scale}")
    if args.n_colors < 1:
        raise ChromaLabError(f"--n-colors must be a positive integer, got {args.n_colors}")
    if args.size < 16:
        raise ChromaLabError(f"--size must be an int >= 16, got {args.size}")
    if args.seed < 0:
        raise ChromaLabError(f"--seed must be a non-negative int, got {args.seed}")
    import_keras()
    run_demo(out, sets=args.sets, n_scenes=n_scenes, scale=scale, seed=args.seed, size=args.size,
             figures=not args.no_figures, n_colors=args.n_colors)  # fmt: skip
    return 0


def run_demo(out="out/demo", sets=SETS, n_scenes: int = FULL["n_scenes"], scale: float = FULL["scale"],
             seed: int = 0, size: int = IMAGE_SIZE, figures: bool = True, n_colors: int = 32, progress: bool = True,
             stream=None) -> dict:  # fmt: skip
    """Train, compare and report on each of ``sets``; returns {set name: {file name: path}} (and
    ``"colour_spaces"``, ``"index.html"``)."""
    from chroma_lab.course import train_and_compare, load_split
    from chroma_lab.evaluate import write_report
    from chroma_lab.hint_sweep import COUNTS

    out = Path(out)
    start = time.perf_counter()
    written, results = {}, {}
    for name in sets:
        split = load_split(name, size=size, n_scenes=n_scenes, test_size=TEST_SIZE, seed=seed)
        results[name] = train_and_compare(split, MODELS, seed=seed, scale=scale, progress=progress, stream=stream,
                                          hint_counts=COUNTS)  # fmt: skip
        written[name] = write_report(results[name], out / name)
    if figures:
        written["colour_spaces"] = _colour_space_figures(out / "colour_spaces", n_colors, seed)
    written["index.html"] = _write_index(out, results, written)
    _say(stream, f"\nwrote {out / 'index.html'} (reports in {', '.join(str(out / s) for s in sets)}) "
                 f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
    return written


def _colour_space_figures(out: Path, n_colors: int, seed: int) -> dict:
    """Lesson 1's view: a photo in Lab, the ab gamut at three lightness values, a palette."""
    from chroma_lab._files import atomic_path
    from chroma_lab.data import bundled_photos
    from chroma_lab.quantize import KMeansPalette
    from chroma_lab.viz import plot_ab_gamut, plot_image_row, plot_lab_decomposition, plot_palette, save_figure

    out.mkdir(parents=True, exist_ok=True)
    images, names = bundled_photos(size=128)
    palette = KMeansPalette(n_colors=n_colors, random_state=seed).fit(images)
    figures = {
        "lab_decomposition.png": plot_lab_decomposition(images[0], title=f"{names[0]} in CIE Lab"),
        "ab_gamut.png": plot_ab_gamut((25, 50, 85)),
        "kmeans_palette.png": plot_palette(palette.palette_, "rgb",
                                           title=f"K-means palette of the {len(images)} bundled photos"),
        "kmeans_quantized.png": plot_image_row([images[1], palette.quantize(images[1])],
                                               [names[1], f"{n_colors} palette colours"]),
    }  # fmt: skip
    paths = {}
    for file, figure in figures.items():
        with atomic_path(out / file) as tmp:
            save_figure(figure, tmp)
        paths[file] = out / file
    return paths


def _write_index(out: Path, results: dict, written: dict) -> Path:
    from chroma_lab._files import write_text_atomic
    from chroma_lab.course import BASELINE_DESCRIPTIONS, COURSE_MODELS
    from chroma_lab.evaluate import METRICS, format_value

    e = html.escape
    described = {**BASELINE_DESCRIPTIONS, **{k: m.description for k, m in COURSE_MODELS.items()}}
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>chroma_lab demo</title><style>body{font-family:sans-serif;margin:1.5em;max-width:70em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;"
             "text-align:right}td:first-child,th:first-child{text-align:left}img{max-width:100%}</style>"
             "</head><body>", "<h1>chroma_lab: the course at a glance</h1>",
             "<p>Every colorizer of the lessons, trained briefly on the same images and measured on "
             "the same held-out ones. Higher AuC, PSNR and SSIM are better; lower ab error, "
             "incoherence and bleeding; colourfulness should be close to the truth's.</p>"]  # fmt: skip
    for name, result in results.items():
        n, size = len(result.truth), result.truth.shape[1]
        parts.append(f"<h2>{e(name)}: {n} held-out images of {size}x{size}</h2>")
        parts.append(f'<p><a href="{name}/report.html">full report</a> (every image) · '
                     f'<a href="{name}/report.md">report.md</a> · <a href="{name}/results.csv">results.csv</a> · '
                     f'<a href="{name}/summary.csv">summary.csv</a></p>')  # fmt: skip
        parts.append("<table><tr><th>method</th><th>what</th>"
                     + "".join(f'<th title="{e(what)}">{e(label)}</th>' for _, label, what, _ in METRICS) + "</tr>")
        for method, values in result.summary.items():
            cells = "".join(f"<td>{format_value(key, values[key])}</td>" for key, *_ in METRICS)
            parts.append(f"<tr><td>{e(method)}</td><td>{e(described.get(method, ''))}</td>{cells}</tr>")
        parts.append("</table>")
        parts.append(f'<p><img src="{name}/grid.png" alt="{e(name)} colorizations"></p>')
        parts.append(f'<p><img src="{name}/metrics.png" alt="{e(name)} measures"></p>')
        if result.hints is not None:
            parts += _hints_section(name, result)
    if "colour_spaces" in written:
        parts.append("<h2>Colour spaces (lesson 1)</h2><p>")
        parts += [f'<img src="colour_spaces/{file}" alt="{e(file)}"> ' for file in written["colour_spaces"]]
        parts.append("</p>")
    parts.append("</body></html>")
    path = out / "index.html"
    write_text_atomic(path, "\n".join(parts) + "\n")
    return path


def _hints_section(name: str, result) -> list:
    from chroma_lab.evaluate import format_value

    e, sweep = html.escape, result.hints
    parts = [f"<h3>{e(name)}: against the number of hints</h3>",
             f"<p>PSNR (dB) of the methods that take user hints, with 0 to {max(sweep.counts)} hints per image "
             f"simulated from the truth (the paper's simulated user, seed {sweep.seed}; the hints of fewer points "
             f'are the first of more): <a href="{name}/hints.csv">hints.csv</a> has colourfulness too.</p>',
             "<table><tr><th>method</th>" + "".join(f"<th>{c} hints</th>" for c in sweep.counts) + "</tr>"]
    for method, values in sweep.results.items():
        cells = "".join(f"<td>{format_value('psnr', v)}</td>" for v in values["psnr"])
        parts.append(f"<tr><td>{e(method)}</td>{cells}</tr>")
    parts.append(f'</table><p><img src="{name}/hints.png" alt="{e(name)} against the number of hints"></p>')
    return parts


def _say(stream, text):
    import sys

    if stream is not False:
        print(text, file=sys.stdout if stream is None else stream, flush=True)
