"""The hint-count sweep: nested random hints, hints on the largest error, automatic colorizers flat."""

import numpy as np
import pytest

from chroma_lab.color import rgb_to_gray, rgb_to_lab
from chroma_lab.hint_sweep import format_sweep, hint_sweep
from chroma_lab.hints import draw_hint_points, hint_at_largest_error, render_hints
from chroma_lab.metrics import psnr
from chroma_lab.models.base import GrayColorizer
from chroma_lab.models.levin2004 import LevinColorizer
from chroma_lab.scenes import synthetic_scenes

COUNTS = (0, 2, 10)


@pytest.fixture(scope="module")
def scenes():
    return synthetic_scenes(4, size=24, seed=1)[0]


def test_levin_gains_from_hints_and_gray_stays_flat(scenes):
    result = hint_sweep({"gray": GrayColorizer().fit(scenes), "levin": LevinColorizer.fitted()}, scenes, COUNTS)
    gray, levin = result["gray"]["psnr"], result["levin"]["psnr"]
    assert gray == [gray[0]] * 3 and levin[0] == pytest.approx(gray[0], abs=0.05)  # no hint: gray
    assert levin[2] > levin[1] > levin[0]
    assert result["levin"]["colorfulness"][2] > result["gray"]["colorfulness"][2]
    table = format_sweep(result, COUNTS).splitlines()
    assert len(table) == 3 and table[2].split()[0] == "levin"


def test_random_hints_are_nested_and_match_a_direct_call(scenes):
    levin = LevinColorizer.fitted()
    result = hint_sweep({"levin": levin}, scenes, COUNTS, seed=3)
    points = draw_hint_points(scenes.shape[:3], 10, np.random.default_rng(3))
    ab = rgb_to_lab(scenes)[..., 1:]
    out = levin.colorize(rgb_to_gray(scenes), hints=render_hints(ab, points, 2))
    assert result["levin"]["psnr"][1] == psnr(scenes, out)
    five, mask5 = render_hints(ab, points, 5)[1], render_hints(ab, points, 10)[1]
    assert np.all(mask5[five])  # the first 5 points are among the 10


def test_worst_first_places_each_point_on_the_largest_error(scenes):
    ab = rgb_to_lab(scenes)[..., 1:]
    pred = np.zeros_like(ab)
    hints = hint_at_largest_error(ab, pred, None)
    error = np.linalg.norm(ab, axis=-1)
    for i in range(len(scenes)):
        assert hints[1][i].sum() == 1 and error[i][hints[1][i]][0] == error[i].max()
        np.testing.assert_allclose(hints[0][i][hints[1][i]][0], ab[i][hints[1][i]][0])
    result = hint_sweep({"levin": LevinColorizer.fitted()}, scenes, COUNTS, placement="error")
    assert result["levin"]["psnr"][2] > result["levin"]["psnr"][0]


def test_bad_placement_is_refused(scenes):
    with pytest.raises(ValueError, match="placement must be one of"):
        hint_sweep({}, scenes, placement="clever")
