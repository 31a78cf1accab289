"""Lesson 8's checkers pass a right answer written as a student would, fail a typical wrong one with
a hint, and report an untouched exercise without one."""

import numpy as np
import pytest

from chroma_lab import checks


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise: replace this line with your solution")


def render_hints(ab_true, points):
    ab, mask = np.zeros_like(ab_true), np.zeros(ab_true.shape[:3], dtype=bool)
    for i, rows in enumerate(points):
        for top, left, side in rows:
            window = (i, slice(top, top + side), slice(left, left + side))
            ab[window] = ab_true[window].mean(axis=(0, 1))
            mask[window] = True
    return ab, mask


def render_hints_first_wins(ab_true, points):  # overlapping patches: the earlier point kept
    ab, mask = np.zeros_like(ab_true), np.zeros(ab_true.shape[:3], dtype=bool)
    for i, rows in enumerate(points):
        for top, left, side in rows[::-1]:
            window = (i, slice(top, top + side), slice(left, left + side))
            ab[window] = ab_true[window].mean(axis=(0, 1))
            mask[window] = True
    return ab, mask


def _weights(L, variance_floor=True):
    Y = L / 100.0
    height, width = Y.shape
    W = np.zeros((Y.size, Y.size))
    for y in range(height):
        for x in range(width):
            near = [(j, i) for j in range(max(0, y - 1), min(height, y + 2))
                    for i in range(max(0, x - 1), min(width, x + 2))]
            d2 = np.array([(Y[j, i] - Y[y, x]) ** 2 for j, i in near if (j, i) != (y, x)])
            two_sigma2 = 2 * np.var([Y[j, i] for j, i in near])
            if variance_floor:
                two_sigma2 = max(two_sigma2, d2.min() / -np.log(0.01), 2e-6)
            w = np.exp(-d2 / max(two_sigma2, 1e-300))
            others = [(j, i) for j, i in near if (j, i) != (y, x)]
            for (j, i), wk in zip(others, w / w.sum()):
                W[y * width + x, j * width + i] = wk
    return W


def affinity_weights(L):
    return _weights(L)


def affinity_without_floor(L):
    return _weights(L, variance_floor=False)


def levin_solve(L, hint_ab, hint_mask):
    A = np.eye(L.size) - affinity_weights(L)
    rhs = np.zeros((L.size, 2))
    hinted = np.flatnonzero(hint_mask.ravel())
    A[hinted] = 0.0
    A[hinted, hinted] = 1.0
    rhs[hinted] = hint_ab.reshape(-1, 2)[hinted]
    return np.linalg.solve(A, rhs).reshape(L.shape + (2,))


def levin_solve_unpinned(L, hint_ab, hint_mask):  # hints added as a right-hand side, not fixed
    rhs = np.where(hint_mask[..., None], hint_ab, 0.0).reshape(-1, 2)
    A = 2 * np.eye(L.size) - affinity_weights(L)
    return np.linalg.solve(A, rhs).reshape(L.shape + (2,))


def guided_input(L, hint_ab, hint_mask):
    m = hint_mask[..., None].astype(float)
    return np.concatenate([(L[..., None] - 50) / 100, hint_ab / 110 * m, m - 0.5], axis=-1)


def guided_input_raw_mask(L, hint_ab, hint_mask):
    m = hint_mask[..., None].astype(float)
    return np.concatenate([(L[..., None] - 50) / 100, hint_ab / 110 * m, m], axis=-1)


CASES = {
    "render_hints": (checks.check_render_hints, render_hints, render_hints_first_wins),
    "affinity_weights": (checks.check_affinity_weights, affinity_weights, affinity_without_floor),
    "levin_solve": (checks.check_levin_solve, levin_solve, levin_solve_unpinned),
    "guided_input": (checks.check_guided_input, guided_input, guided_input_raw_mask),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_checker_passes_a_right_answer(name, capsys):
    checker, right, _ = CASES[name]
    assert checker(right) is True
    assert capsys.readouterr().out.startswith("PASS: ")


@pytest.mark.parametrize("name", sorted(CASES))
def test_checker_fails_a_wrong_answer_with_a_hint(name, capsys):
    checker, _, wrong = CASES[name]
    assert checker(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("FAIL: ") and "Hint: " in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_checker_reports_an_untouched_exercise(name, capsys):
    checker = CASES[name][0]
    assert checker(stub) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Hint" not in out
