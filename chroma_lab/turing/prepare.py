"""Precompute the colorizations of a Turing test into its folder, and choose each participant's trials.

``prepare`` writes into ``OUT``::

    images/real/<name>.png            each photo of --images (EXIF-rotated, at most max_side)
    images/fake/<method>/<name>.png   its colorization by each method, from its gray version
    manifest.json                     methods, photos and those paths

A trial is one (photo, method) pair shown side by side with the real photo on a random side.
Colorizing happens once, before serving, so a trial page never waits for a model.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from chroma_lab._checks import check_int
from chroma_lab._files import atomic_path, write_json_atomic
from chroma_lab.errors import ChromaLabError

MANIFEST_FILE = "manifest.json"
IMAGES_FOLDER = "images"
STAGING_PREFIX = ".preparing-"  # the hidden folder a run writes into before moving its pictures in
FORMAT = "chroma_lab.turing/1"


def prepare(out_dir, images_dir, models, *, max_side: int = 384, log=print) -> dict:
    """Colorize every photo of ``images_dir`` with every model and write the test into ``out_dir``.

    Nothing is written until the photos are listed and every model is loaded; the pictures are
    written into a hidden staging folder of ``out_dir`` and moved into place once all are done. A
    run that fails (an unreadable photo, a model error, Ctrl-C) removes what it wrote, and the
    folders it created, and leaves a test prepared before it as it was.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The test folder (created if missing).
    images_dir : str or os.PathLike
        A folder of photos; its non-hidden files with an image suffix are used (not subfolders).
        A photo of more pixels than :data:`chroma_lab.data.MAX_PIXELS` is refused from its header.
    models : mapping of str to colorizer or folder
        Method name -> a fitted colorizer (anything with ``colorize(gray (n, H, W) uint8)``), or
        a folder saved by ``chroma-lab train`` (loaded with
        :func:`chroma_lab.models.registry.load_colorizer`).
    max_side : int
        Photos larger than this are shrunk (aspect kept) so that a pair fits on one screen.
    log : callable
        Receives one line per finished photo.

    Returns
    -------
    dict : the manifest

    Raises
    ------
    ValueError
        No photos, no models, a bad method name, two photos with the same name, a photo that
        cannot be read (:class:`chroma_lab.data.ImageReadError`), or a folder that already holds
        participants of a test with other photos or methods.
    """
    out_dir, max_side = Path(out_dir), check_int(max_side, "max_side", low=16)
    if not models:
        raise ChromaLabError("models is empty: give at least one model folder to test")
    for name in models:
        if not isinstance(name, str) or not name or name.startswith(".") or "/" in name or "\\" in name:
            raise ChromaLabError(f"method name must be a non-empty folder-safe name, got {name!r}")
    photos = image_files(images_dir)
    manifest = {"format": FORMAT, "methods": list(models), "max_side": max_side,
                "images": [{"name": p.stem, "real": f"images/real/{p.stem}.png",
                            "fake": {m: f"images/fake/{m}/{p.stem}.png" for m in models}}
                           for p in photos]}  # fmt: skip
    if _has_participants(out_dir):
        old = _read_manifest(out_dir / MANIFEST_FILE)
        if old == manifest and _files_present(out_dir, old):
            log(f"{out_dir}: the test already has participants; keeping its colorizations")
            return old
        raise ChromaLabError(f"'{out_dir}' already holds answers to a test of other photos or methods "
                             f"(see {MANIFEST_FILE}); choose a new --out folder")  # fmt: skip
    colorizers = {name: _as_colorizer(model) for name, model in models.items()}  # a missing model: no file yet

    created = _first_missing(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(STAGING_PREFIX + "*"):  # left by a run killed with kill -9
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    try:
        for path, entry in zip(photos, manifest["images"]):
            _colorize_photo(path, entry, colorizers, staging, max_side)
            log(f"{path} -> {out_dir / entry['real']} + {len(colorizers)} colorizations")
        _move_into_place(staging / IMAGES_FOLDER, out_dir / IMAGES_FOLDER, staging)
        write_json_atomic(out_dir / MANIFEST_FILE, manifest)
    except BaseException:
        shutil.rmtree(created if created is not None else staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return manifest


def load_manifest(out_dir) -> dict:
    """The manifest of a prepared test folder; ValueError naming the folder if there is none."""
    manifest = _read_manifest(Path(out_dir) / MANIFEST_FILE)
    if manifest is None:
        raise ChromaLabError(f"'{out_dir}' holds no Turing test ({MANIFEST_FILE} missing or not ours): "
                             "run chroma-lab turing with --models and --images first")  # fmt: skip
    return manifest


def image_files(images_dir) -> list[Path]:
    """The photos of a folder: non-hidden files with a suffix Pillow reads, sorted by name."""
    from PIL import Image

    folder = Path(images_dir)
    if not folder.is_dir():
        raise NotADirectoryError(f"--images '{folder}' is not a folder of photos")
    suffixes = set(Image.registered_extensions())
    photos = sorted(p for p in folder.iterdir()
                    if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes)  # fmt: skip
    if not photos:
        raise ChromaLabError(f"--images '{folder}' holds no image files")
    stems: dict[str, Path] = {}
    for p in photos:
        if p.stem in stems:
            raise ChromaLabError(f"'{stems[p.stem]}' and '{p}' would share the name '{p.stem}'; rename one")
        stems[p.stem] = p
    return photos


def all_trials(manifest) -> list[tuple[str, str]]:
    """Every (photo, method) pair of the test."""
    return [(entry["name"], m) for entry in manifest["images"] for m in manifest["methods"]]


def trial_order(manifest, n_trials: int, seed: int) -> list[tuple[str, str, str]]:
    """A participant's trials: ``n_trials`` distinct (photo, method) pairs in random order.

    Each comes with the side the real photo is shown on. The same seed gives the same list; a
    test with fewer pairs than ``n_trials`` gives every pair once.

    Returns
    -------
    list of (photo, method, real_side) with real_side in {"left", "right"}
    """
    n_trials = check_int(n_trials, "n_trials", low=1)
    rng = random.Random(check_int(seed, "seed"))
    pairs = all_trials(manifest)
    chosen = rng.sample(pairs, min(n_trials, len(pairs)))
    return [(photo, method, rng.choice(("left", "right"))) for photo, method in chosen]


# ----------------------------------------------------------------------------------------------
def _as_colorizer(model):
    if hasattr(model, "colorize"):
        return model
    from chroma_lab.models.registry import load_colorizer  # imports Keras: only when needed

    return load_colorizer(model)


def _colorize_photo(path: Path, entry: dict, colorizers: dict, folder: Path, max_side: int) -> None:
    """Write the photo ``entry`` names and its colorization by each model, under ``folder``."""
    import numpy as np

    from chroma_lab.data import load_image, to_gray

    real = _shrink(load_image(path), max_side)
    _save_png(real, folder / entry["real"])
    gray = to_gray(real)[None]
    for name, colorizer in colorizers.items():
        fake = np.asarray(colorizer.colorize(gray))[0]
        if fake.shape != real.shape or fake.dtype != np.uint8:
            raise ChromaLabError(f"model {name!r} returned {fake.dtype} {fake.shape} for '{path}', "
                             f"expected uint8 {real.shape}")  # fmt: skip
        _save_png(fake, folder / entry["fake"][name])


def _move_into_place(new: Path, target: Path, staging: Path) -> None:
    """Replace ``target`` (a previous run's pictures, if any) by ``new``; the old goes to ``staging``."""
    if target.exists():
        target.rename(staging / "previous")
    new.rename(target)


def _has_participants(out_dir: Path) -> bool:
    from chroma_lab.turing.store import DATABASE_FILE, Store

    # Store() creates the file: look first, so that a refused run leaves no database behind
    return (out_dir / DATABASE_FILE).is_file() and Store(out_dir).count_participants() > 0


def _first_missing(path: Path):
    """The outermost folder of ``path`` that does not exist yet (None if it exists)."""
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _shrink(image, max_side: int):
    from chroma_lab.data import resize

    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    scale = max_side / max(h, w)
    return resize(image, (max(1, round(h * scale)), max(1, round(w * scale))))


def _save_png(array, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp)


def _read_manifest(path: Path):
    try:
        manifest = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def _files_present(out_dir: Path, manifest) -> bool:
    paths = [e["real"] for e in manifest["images"]] + [p for e in manifest["images"] for p in e["fake"].values()]
    return all((out_dir / p).is_file() for p in paths)
