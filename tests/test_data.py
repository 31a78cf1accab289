"""Tests for chroma_lab.data: every Pillow mode, clear errors, folders, datasets, data specs,
preprocessing and batching."""

import csv
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chroma_lab import data
from chroma_lab.color import lightness
from chroma_lab.data import ImageReadError, load_folder, load_image

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared/datasets/photos"


def _save(tmp_path, name, img, **kwargs):
    path = tmp_path / name
    img.save(path, **kwargs)
    return path


# ----------------------------------------------------------------------------------------------
# load_image: modes
# ----------------------------------------------------------------------------------------------
def test_rgb_png_round_trips(tmp_path):
    pixels = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [10, 20, 30]]], dtype=np.uint8)
    out = load_image(_save(tmp_path, "rgb.png", Image.fromarray(pixels)))
    assert out.dtype == np.uint8 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out, pixels)


def test_gray_is_replicated(tmp_path):
    gray = np.array([[0, 128, 255]], dtype=np.uint8)
    out = load_image(_save(tmp_path, "l.png", Image.fromarray(gray, mode="L")))
    np.testing.assert_array_equal(out, np.repeat(gray[..., None], 3, axis=-1))


def test_bilevel_gives_black_and_white(tmp_path):
    img = Image.new("1", (2, 1))
    img.putpixel((1, 0), 1)
    out = load_image(_save(tmp_path, "bw.png", img))
    np.testing.assert_array_equal(out[0], [[0, 0, 0], [255, 255, 255]])


def test_rgba_is_composited_over_white(tmp_path):
    rgba = np.array([[[200, 100, 0, 128], [10, 20, 30, 255], [10, 20, 30, 0]]], dtype=np.uint8)
    out = load_image(_save(tmp_path, "rgba.png", Image.fromarray(rgba, mode="RGBA")))
    # 200 * 128/255 + 255 * 127/255 = 227.4; 100 -> 177.2; 0 -> 127.0
    np.testing.assert_array_equal(out[0], [[227, 177, 127], [10, 20, 30], [255, 255, 255]])


def test_la_is_composited_over_white(tmp_path):
    la = np.array([[[0, 0], [0, 255], [100, 51]]], dtype=np.uint8)
    out = load_image(_save(tmp_path, "la.png", Image.fromarray(la, mode="LA")))
    # 100 * 0.2 + 255 * 0.8 = 224
    np.testing.assert_array_equal(out[0, :, 0], [255, 0, 224])
    assert (out[..., 0] == out[..., 2]).all()


def test_palette_image(tmp_path):
    img = Image.new("P", (2, 1))
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((0, 0), 1)
    out = load_image(_save(tmp_path, "p.png", img))
    np.testing.assert_array_equal(out[0], [[0, 0, 255], [255, 0, 0]])


def test_palette_transparency_is_white(tmp_path):
    img = Image.new("P", (2, 1))
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((0, 0), 1)
    out = load_image(_save(tmp_path, "pt.png", img, transparency=1))
    np.testing.assert_array_equal(out[0], [[255, 255, 255], [255, 0, 0]])


def test_palette_gif(tmp_path):
    pixels = np.array([[[255, 0, 0], [0, 0, 255]]], dtype=np.uint8)
    img = Image.fromarray(pixels).convert("P", palette=Image.Palette.ADAPTIVE, colors=2)
    out = load_image(_save(tmp_path, "p.gif", img))
    np.testing.assert_array_equal(out, pixels)


def test_cmyk_converts_like_pillow(tmp_path):
    img = Image.new("CMYK", (2, 1))
    img.putpixel((0, 0), (0, 255, 255, 0))
    img.putpixel((1, 0), (30, 60, 90, 20))
    path = _save(tmp_path, "cmyk.tif", img)
    np.testing.assert_array_equal(load_image(path), np.asarray(Image.open(path).convert("RGB")))
    np.testing.assert_array_equal(load_image(path)[0, 0], [255, 0, 0])


@pytest.mark.parametrize("name", ["g16.png", "g16.tif"])
def test_16_bit_gray_is_scaled_by_257(tmp_path, name):
    values = np.array([[0, 257, 257 * 100, 65535, 128]], dtype=np.uint16)
    img = Image.fromarray(values)
    assert img.mode == "I;16"
    out = load_image(_save(tmp_path, name, img))
    np.testing.assert_array_equal(out[0, :, 0], [0, 1, 100, 255, 0])


def test_16_bit_big_endian(tmp_path):
    values = np.array([[257 * 7, 65535]], dtype=">u2")
    img = Image.frombytes("I;16B", (2, 1), values.tobytes())
    out = load_image(_save(tmp_path, "g16b.tif", img))
    np.testing.assert_array_equal(out[0, :, 1], [7, 255])


def test_32_bit_int_is_read_as_16_bit_range(tmp_path):
    img = Image.fromarray(np.array([[257 * 3, 65535, 70000]], dtype=np.int32))
    assert img.mode == "I"
    out = load_image(_save(tmp_path, "i32.tif", img))
    np.testing.assert_array_equal(out[0, :, 0], [3, 255, 255])


@pytest.mark.parametrize(
    "values, expected", [([0.0, 0.5, 1.0], [0, 128, 255]), ([0.0, 100.0, 300.0], [0, 100, 255])]
)
def test_float_tiff(tmp_path, values, expected):
    img = Image.fromarray(np.array([values], dtype=np.float32))
    assert img.mode == "F"
    out = load_image(_save(tmp_path, "f.tif", img))
    np.testing.assert_array_equal(out[0, :, 0], expected)


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((10, 20, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    out = load_image(_save(tmp_path, "rot.jpg", Image.fromarray(pixels), exif=exif))
    assert out.shape == (20, 10, 3)


# ----------------------------------------------------------------------------------------------
# load_image: errors name the file
# ----------------------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        load_image(tmp_path / "nope.png")


def test_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match=tmp_path.name):
        load_image(tmp_path)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture")
    with pytest.raises(ImageReadError, match="notes.jpg.*not an image"):
        load_image(path)


def test_truncated_jpeg(tmp_path):
    rng = np.random.default_rng(0)
    full = _save(tmp_path, "full.jpg", Image.fromarray(rng.integers(0, 256, (64, 64, 3), np.uint8)))
    half = tmp_path / "half.jpg"
    half.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ImageReadError, match="half.jpg.*truncated"):
        load_image(half)


def test_wrong_path_type():
    with pytest.raises(TypeError, match="path"):
        load_image(42)


# ----------------------------------------------------------------------------------------------
# load_folder
# ----------------------------------------------------------------------------------------------
def _colour_file(path, rgb, shape=(6, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(shape + (3,), rgb, dtype=np.uint8)).save(path)


def test_folder_labels_from_subfolders(tmp_path):
    _colour_file(tmp_path / "dog" / "b.png", (0, 0, 255))
    _colour_file(tmp_path / "cat" / "z.PNG", (255, 0, 0), shape=(4, 5))
    _colour_file(tmp_path / "cat" / "a.jpg", (0, 255, 0))
    (tmp_path / "cat" / "readme.txt").write_text("ignored")
    _colour_file(tmp_path / "loose.bmp", (9, 9, 9))
    images, labels = load_folder(tmp_path)
    assert list(labels) == ["cat", "cat", "dog", ""]
    assert [im.shape for im in images] == [(6, 8, 3), (4, 5, 3), (6, 8, 3), (6, 8, 3)]
    np.testing.assert_array_equal(images[1][0, 0], [255, 0, 0])


def test_folder_with_size_gives_one_array(tmp_path):
    _colour_file(tmp_path / "a.png", (1, 2, 3), shape=(10, 30))
    _colour_file(tmp_path / "b.png", (4, 5, 6), shape=(40, 20))
    images, labels = load_folder(tmp_path, size=8)
    assert images.shape == (2, 8, 8, 3) and images.dtype == np.uint8
    assert list(labels) == ["", ""]
    np.testing.assert_array_equal(images[1], 0 * images[1] + [4, 5, 6])


def test_folder_with_manifest(tmp_path):
    _colour_file(tmp_path / "b.png", (0, 0, 255))
    _colour_file(tmp_path / "a.png", (255, 0, 0))
    _colour_file(tmp_path / "unlisted.png", (0, 0, 0))
    with open(tmp_path / "manifest.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["file", "category", "width"], ["b.png", "sea", 8], ["a.png", "fire", 8]])
    images, labels = load_folder(tmp_path)
    assert list(labels) == ["fire", "sea"]
    np.testing.assert_array_equal(images[0][0, 0], [255, 0, 0])


def test_manifest_without_columns(tmp_path):
    _colour_file(tmp_path / "a.png", (0, 0, 0))
    (tmp_path / "manifest.csv").write_text("name,label\na.png,x\n")
    with pytest.raises(ValueError, match="manifest.csv.*'file' and 'category'"):
        load_folder(tmp_path)


def test_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match=f"{tmp_path.name}.*\\.jpg.*\\.webp"):
        load_folder(tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent"):
        load_folder(tmp_path / "absent")


def test_bad_file_raises_or_is_skipped(tmp_path):
    _colour_file(tmp_path / "good.png", (1, 1, 1))
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ImageReadError, match="bad.png"):
        load_folder(tmp_path)
    with pytest.warns(UserWarning, match="bad.png"):
        images, labels = load_folder(tmp_path, on_error="skip")
    assert len(images) == 1 and list(labels) == [""]
    with pytest.raises(ValueError, match="on_error"):
        load_folder(tmp_path, on_error="ignore")


def test_shared_photos_folder():
    if not (PHOTOS / "manifest.csv").is_file():
        pytest.skip(f"the repository's photo set is not at {PHOTOS}")
    images, labels = load_folder(PHOTOS, size=32, progress=False)
    with open(PHOTOS / "manifest.csv", newline="") as handle:
        expected = {row["file"]: row["category"] for row in csv.DictReader(handle)}
    assert images.shape == (220, 32, 32, 3) and images.dtype == np.uint8
    assert list(labels) == [expected[name] for name in sorted(expected)]


# ----------------------------------------------------------------------------------------------
# Resizing and bundled photos
# ----------------------------------------------------------------------------------------------
def test_resize_crop_keeps_the_centre():
    image = np.zeros((20, 60, 3), dtype=np.uint8)
    image[:, 20:40] = 255  # the central square is white, the sides black
    out = data.resize_crop(image, 10)
    assert out.shape == (10, 10, 3) and out.dtype == np.uint8
    assert out.min() >= 250
    assert data.resize_crop(image[..., 0], 7).shape == (7, 7)


@pytest.mark.parametrize("bad, error", [(np.zeros((4, 4, 3)), TypeError),
                                        (np.zeros((4, 4, 4), np.uint8), ValueError)])
def test_resize_crop_rejects_bad_images(bad, error):
    with pytest.raises(error, match="image"):
        data.resize_crop(bad, 4)
    with pytest.raises(ValueError, match="size"):
        data.resize_crop(np.zeros((4, 4, 3), np.uint8), 0)


def test_bundled_photos():
    images, names = data.bundled_photos()
    assert names == ["astronaut", "chelsea", "coffee", "rocket", "motorcycle_left",
                     "motorcycle_right", "china", "flower", "grace_hopper"]
    for image in images:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.std(axis=-1).mean() > 5  # colour photos, not gray
    small, _ = data.bundled_photos(size=16)
    assert small.shape == (9, 16, 16, 3)


# ----------------------------------------------------------------------------------------------
# Data specs: photos, scenes, folder:PATH
# ----------------------------------------------------------------------------------------------
def test_check_data_spec(tmp_path, monkeypatch):
    assert data.check_data_spec("photos") == "photos"
    assert data.check_data_spec("scenes") == "scenes"
    monkeypatch.chdir(tmp_path)
    assert data.check_data_spec("folder:imgs") == f"folder:{tmp_path.resolve() / 'imgs'}"
    assert data.check_data_spec(f"folder:{tmp_path}") == f"folder:{tmp_path.resolve()}"
    for bad in ("cifar", "folder:", "folder:  ", "Photos", None, 3):
        with pytest.raises(ValueError, match="use photos, scenes or folder:PATH"):
            data.check_data_spec(bad)


def test_load_dataset_scenes_and_photos():
    from chroma_lab.scenes import SCENE_CLASSES, synthetic_scenes

    images, labels, names = data.load_dataset("scenes", 16, n_scenes=7, seed=2)
    expected, expected_names = synthetic_scenes(7, size=16, seed=2)
    np.testing.assert_array_equal(images, expected)
    assert names == list(SCENE_CLASSES) and labels.dtype.kind == "i"
    assert [names[i] for i in labels] == list(expected_names)
    photos, labels, names = data.load_dataset("photos", 8)
    assert photos.shape == (9, 8, 8, 3) and labels is None and names is None
    np.testing.assert_array_equal(photos, data.bundled_photos(size=8)[0])


def test_load_dataset_folder(tmp_path, monkeypatch):
    for label, colour in (("sea", (0, 0, 200)), ("grass", (0, 200, 0)), ("sea", (0, 0, 150))):
        (tmp_path / label).mkdir(exist_ok=True)
        n = len(list((tmp_path / label).iterdir()))
        Image.new("RGB", (6, 4), colour).save(tmp_path / label / f"{n}.png")
    monkeypatch.chdir(tmp_path.parent)
    images, labels, names = data.load_dataset(f"folder:{tmp_path.name}", 4)  # a relative path
    assert images.shape == (3, 4, 4, 3) and names == ["grass", "sea"]
    assert labels.tolist() == [0, 1, 1]  # grass/0.png, sea/0.png, sea/1.png
    assert images[0, 0, 0].tolist() == [0, 200, 0]
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(flat / "a.png")
    images, labels, names = data.load_dataset(f"folder:{flat}", 4)
    assert len(images) == 1 and labels is None and names is None  # no subfolders: no labels
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=re.escape(f"No images found in '{empty}'")):
        data.load_dataset(f"folder:{empty}", 4)
    with pytest.raises(FileNotFoundError, match="missing"):
        data.load_dataset(f"folder:{tmp_path / 'missing'}", 4)
    with pytest.raises(ValueError, match="use photos, scenes or folder:PATH"):
        data.load_dataset("imagenet", 4)


# ----------------------------------------------------------------------------------------------
# CIFAR-10 reader on tiny pickles
# ----------------------------------------------------------------------------------------------
def _write_cifar(folder, n_per_batch=2):
    folder.mkdir(parents=True)
    expected = []
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        images = np.full((n_per_batch, 32, 32, 3), k, dtype=np.uint8)
        images[:, 0, 1] = [100 + k, 150, 200]  # red, green, blue planes at row 0, column 1
        flat = images.transpose(0, 3, 1, 2).reshape(n_per_batch, 3072)
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": flat, b"labels": [k] * n_per_batch, b"batch_label": b"x"}, handle)
        expected.append(images)
    return expected


@pytest.mark.parametrize("nested", [False, True])
def test_cifar_reader(tmp_path, nested):
    expected = _write_cifar(tmp_path / "cifar-10-batches-py" if nested else tmp_path / "c")
    (x_train, y_train), (x_test, y_test) = data.load_cifar10(tmp_path if nested else tmp_path / "c")
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, np.concatenate(expected[:5]))
    np.testing.assert_array_equal(x_test[0, 0, 1], [105, 150, 200])
    assert y_train[:, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4] and y_test[0, 0] == 5
    assert len(data.CIFAR10_CLASSES) == 10


def test_cifar_reader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="test_batch"):
        data.load_cifar10(tmp_path)
    _write_cifar(tmp_path / "c")
    with open(tmp_path / "c" / "test_batch", "wb") as handle:
        evil = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 0], b"x": print}
        pickle.dump(evil, handle)
    with pytest.raises(ImageReadError, match="test_batch"):
        data.load_cifar10(tmp_path / "c")


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
def test_split_by_image_array_and_list():
    from sklearn.model_selection import train_test_split

    images = np.arange(10)[:, None, None, None] * np.ones((10, 2, 2, 3), dtype=np.uint8)
    labels = np.arange(10)
    tr, te, ltr, lte = data.train_test_split_images(images, labels, test_size=0.3, random_state=1)
    assert len(te) == 3 and len(tr) == 7
    assert set(ltr) | set(lte) == set(range(10)) and not set(ltr) & set(lte)
    np.testing.assert_array_equal(te[:, 0, 0, 0], lte)  # images travel with their labels
    # the same images as scikit-learn's split of the indices, kept in their original order
    ref_train, ref_test = train_test_split(np.arange(10), test_size=0.3, random_state=1)
    np.testing.assert_array_equal(lte, np.sort(ref_test))
    np.testing.assert_array_equal(ltr, np.sort(ref_train))
    again = data.train_test_split_images(images, labels, test_size=0.3, random_state=1)
    np.testing.assert_array_equal(again[3], lte)
    as_list = data.train_test_split_images(list(images), test_size=0.3, random_state=1)
    assert isinstance(as_list[1], list) and [im[0, 0, 0] for im in as_list[1]] == list(lte)
    assert len(data.train_test_split_images(images, test_size=0.25)[1]) == 3  # rounded up
    with pytest.raises(ValueError, match="whole images"):
        data.train_test_split_images(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split_images(images, test_size=1.5)
    with pytest.raises(ValueError, match="labels has 3 entries but images has 10"):
        data.train_test_split_images(images, labels[:3])


def test_split_can_stratify():
    images = np.zeros((12, 2, 2, 3), dtype=np.uint8)
    classes = np.array([0] * 8 + [1] * 4)
    for seed in range(5):
        _, _, train_classes, test_classes = data.train_test_split_images(
            images, classes, test_size=0.25, random_state=seed, stratify=classes)
        assert sorted(test_classes) == [0, 0, 1] and sorted(train_classes) == [0] * 6 + [1] * 3


def test_extract_patches_at_a_corner():
    gray = np.arange(16).reshape(4, 4)
    # reflect padding (no edge repeat): row -1 is row 1, column -1 is column 1
    corner = data.extract_patches(gray, 3, positions=np.array([[0, 0]]))
    np.testing.assert_array_equal(corner, [[5, 4, 5, 1, 0, 1, 5, 4, 5]])
    edge = data.extract_patches(gray, 3, positions=np.array([[3, 3]]), pad_mode="edge")
    np.testing.assert_array_equal(edge, [[10, 11, 11, 14, 15, 15, 14, 15, 15]])
    every = data.extract_patches(gray, 3)
    assert every.shape == (16, 9)
    np.testing.assert_array_equal(every[:, 4], gray.ravel())  # the centre is the pixel itself


def test_extract_patches_on_a_stack_and_errors():
    stack = np.stack([np.zeros((4, 4)), np.ones((4, 4))])
    patches = data.extract_patches(stack, 1, positions=np.array([[1, 2, 3], [0, 0, 0]]))
    np.testing.assert_array_equal(patches, [[1.0], [0.0]])
    with pytest.raises(ValueError, match="odd"):
        data.extract_patches(stack[0], 2)
    with pytest.raises(ValueError, match="positions"):
        data.extract_patches(stack[0], 3, positions=np.array([[4, 0]]))
    with pytest.raises(ValueError, match="pad_mode"):
        data.extract_patches(stack[0], 3, pad_mode="mirror")


def test_sample_pixels():
    pos = data.sample_pixels((2, 5, 7), 20, random_state=3)
    assert pos.shape == (20, 3)
    assert (pos >= 0).all() and (pos < [2, 5, 7]).all()
    assert len({tuple(p) for p in pos}) == 20  # distinct
    np.testing.assert_array_equal(pos, data.sample_pixels((2, 5, 7), 20, random_state=3))
    with pytest.raises(ValueError, match="n must"):
        data.sample_pixels((2, 2), 5)


def test_split_lab_and_to_gray():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 4, 5, 3), dtype=np.uint8)
    L, ab = data.split_lab(images)
    assert L.shape == (3, 4, 5) and ab.shape == (3, 4, 5, 2)
    gray = data.to_gray(images)
    assert gray.shape == (3, 4, 5) and gray.dtype == np.uint8
    gray_rgb = np.repeat(gray[..., None], 3, axis=-1)
    # one 8-bit gray step is at most ~0.5 L* apart from the next, so rounding costs < 0.5 L*
    assert np.abs(lightness(gray_rgb) - L).max() < 0.5
    with pytest.raises(ValueError, match="images"):
        data.split_lab(np.zeros((4, 4)))


def test_import_stays_light():
    code = ("import sys, chroma_lab.data; "
            "print([m for m in ('keras', 'tensorflow', 'sklearn', 'skimage') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------------------------
# Keras PyDataset
# ----------------------------------------------------------------------------------------------
def _epoch(batches):
    return np.concatenate([batches[i][0][:, 0, 0, 0] for i in range(len(batches))])


def test_image_batches():
    images = np.arange(10, dtype=np.uint8)[:, None, None, None] * np.ones((10, 2, 2, 3), np.uint8)
    from chroma_lab.data.batching import ImageBatches

    batches = data.make_batches(images, labels=np.arange(10), batch_size=4, seed=5)
    assert isinstance(batches, ImageBatches)
    assert len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 2, 2, 3) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[:, 0, 0, 0], y)
    assert batches[2][0].shape == (2, 2, 2, 3)
    first = _epoch(batches)
    assert sorted(first) == list(range(10))  # every image once per epoch
    batches.on_epoch_end()
    second = _epoch(batches)
    assert sorted(second) == list(range(10)) and not np.array_equal(first, second)
    again = data.make_batches(images, labels=np.arange(10), batch_size=4, seed=5)
    np.testing.assert_array_equal(_epoch(again), first)
    plain = data.make_batches(images, batch_size=4, shuffle=False)
    np.testing.assert_array_equal(plain[0][:, 0, 0, 0], [0, 1, 2, 3])
    with pytest.raises(TypeError, match="uint8"):
        data.make_batches(images.astype(float))


# ----------------------------------------------------------------------------------------------
# Bad input from users (issue 20): one limit for every reader, manifests, symlink loops, types
# ----------------------------------------------------------------------------------------------
def _png_header(width, height):
    """A PNG whose header claims width x height pixels (and holds none)."""
    import struct
    import zlib

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_one_pixel_limit_for_every_reader(tmp_path):
    """100 megapixels (Pillow only warns there) is refused from the header by load_image, hence
    by load_folder (train, evaluate) and FolderStream (train --stream) alike."""
    folder = tmp_path / "pics"
    folder.mkdir()
    (folder / "big.png").write_bytes(_png_header(10_000, 10_000))
    _colour_file(folder / "ok.png", (200, 30, 30))
    assert 10_000 * 10_000 > data.MAX_PIXELS
    with pytest.raises(ImageReadError, match="big.png': it has too many pixels"):
        load_image(folder / "big.png")
    with pytest.raises(ImageReadError, match="too many pixels"):
        load_folder(folder)
    with pytest.warns(UserWarning, match="too many pixels"):
        images, _ = load_folder(folder, on_error="skip")
    assert len(images) == 1
    stream = data.FolderStream(folder, 8, batch_size=2, shuffle=False)
    with pytest.warns(UserWarning, match="too many pixels"):
        stream[0]
    assert [p.name for p in stream.skipped] == ["big.png"]


def test_the_pixel_limit_is_checked_by_chroma_lab_not_left_to_pillow(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    _colour_file(path, (10, 20, 30), shape=(20, 20))
    monkeypatch.setattr(data.images, "MAX_PIXELS", 399)
    with pytest.raises(ImageReadError, match="too many pixels"):
        load_image(path)
    monkeypatch.setattr(data.images, "MAX_PIXELS", 400)
    assert load_image(path).shape == (20, 20, 3)


@pytest.mark.parametrize("entry", ["../secret.png", "sub/../../secret.png", "/etc/secret.png"])
def test_a_manifest_entry_outside_its_folder_is_refused(tmp_path, entry):
    from chroma_lab.errors import ChromaLabError

    folder = tmp_path / "data"
    _colour_file(folder / "a.png", (200, 30, 30))
    _colour_file(tmp_path / "secret.png", (30, 200, 30))
    (folder / "manifest.csv").write_text(f"file,category\na.png,x\n{entry},y\n")
    with pytest.raises(ChromaLabError, match=re.escape(f"outside its folder ('{entry}')")):
        load_folder(folder)
    with pytest.raises(ChromaLabError, match="outside its folder"):
        data.FolderStream(folder, 8)


def test_a_manifest_that_is_not_utf8_is_named(tmp_path):
    from chroma_lab.errors import ChromaLabError

    _colour_file(tmp_path / "a.png", (200, 30, 30))
    (tmp_path / "manifest.csv").write_bytes("file,category\na.png,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ChromaLabError, match=r"manifest.csv' is not UTF-8 text"):
        load_folder(tmp_path)


def test_a_symlink_loop_is_an_os_error_naming_it(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    with pytest.raises(OSError, match="loop") as excinfo:
        data.check_data_spec(f"folder:{loop}")
    assert excinfo.type is OSError  # not the RuntimeError of Path.resolve
    with pytest.raises(OSError, match="symbolic link loop"):
        load_image(loop)


def test_argument_checks_raise_the_package_error_types():
    from chroma_lab._checks import check_int, check_number
    from chroma_lab.errors import ChromaLabError

    with pytest.raises(TypeError) as excinfo:
        check_int(2.5, "n")
    assert isinstance(excinfo.value, ChromaLabError)
    with pytest.raises(ChromaLabError) as excinfo:
        check_int(-1, "n", low=0)
    assert not isinstance(excinfo.value, TypeError)
    with pytest.raises(TypeError):
        check_number("1", "rate")
    for error in (data.ImageReadError, ):
        assert issubclass(error, ChromaLabError)
