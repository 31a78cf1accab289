"""``chroma-lab demo``: the package's main job on its embedded data (no network, no GPU).

Draws, into an output folder:

* ``lab_decomposition.png``: a bundled photo and its L*, a*, b* channels;
* ``ab_gamut.png``: the displayable ab plane at three lightness values with Zhang et al.'s 313 bins;
* ``kmeans_palette.png``: a 32-colour K-means palette of the bundled photos, and one photo
  quantised to it.
"""

from __future__ import annotations

import time
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--n-colors", type=int, default=32, help="K-means palette size (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run_demo(out="out/demo", n_colors: int = 32, seed: int = 0, verbose: bool = True) -> dict:
    """Write the demo figures into ``out`` and return {name: path}."""
    from chroma_lab.data import bundled_photos
    from chroma_lab.quantize import KMeansPalette
    from chroma_lab.viz import plot_ab_gamut, plot_image_row, plot_lab_decomposition, plot_palette, save_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = print if verbose else (lambda *a, **k: None)
    start = time.perf_counter()
    images, names = bundled_photos(size=128)
    say(f"loaded {len(images)} bundled photos: {', '.join(names)}")

    written = {}
    fig = plot_lab_decomposition(images[0], title=f"{names[0]} in CIE Lab")
    save_figure(fig, out / "lab_decomposition.png")
    written["lab_decomposition"] = out / "lab_decomposition.png"

    save_figure(plot_ab_gamut((25, 50, 85)), out / "ab_gamut.png")
    written["ab_gamut"] = out / "ab_gamut.png"

    palette = KMeansPalette(n_colors=n_colors, random_state=seed).fit(images)
    quantised = palette.quantize(images[1])
    fig = plot_palette(palette.palette_, "rgb", title=f"K-means palette of the {len(images)} bundled photos")
    save_figure(fig, out / "kmeans_palette.png")
    fig = plot_image_row([images[1], quantised], [names[1], f"{n_colors} palette colours"])
    save_figure(fig, out / "kmeans_quantized.png")
    written["kmeans_palette"] = out / "kmeans_palette.png"
    written["kmeans_quantized"] = out / "kmeans_quantized.png"

    for name, path in written.items():
        say(f"wrote {path}")
    say(f"done in {time.perf_counter() - start:.1f} s")
    return written


def main(args) -> int:
    if args.n_colors < 1:
        raise ValueError(f"--n-colors must be a positive integer, got {args.n_colors}")
    run_demo(args.out, args.n_colors, args.seed)
    return 0
