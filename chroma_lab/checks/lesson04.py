"""Checkers of lesson 4: one-hot targets, the cross-entropy, the L1 loss on class indices."""

from __future__ import annotations

import numpy as np

from chroma_lab.checks._core import LOG_EPS, Mismatch, as_array, expect_close, log_eps_slack, name_of, run


def check_onehot(fn, seed: int = 0) -> bool:
    """Check ``fn(labels, n_classes)``: int labels (...,) -> one-hot floats (..., n_classes).

    One case leaves the last classes out of the labels: the length of the one-hot vectors is
    ``n_classes``, not what the labels happen to contain.
    """
    name = name_of(fn, "onehot")
    hint = ("a one-hot vector has n_classes entries, 0 everywhere but a 1 at the label's position; the "
            "labels' own shape stays in front.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        cases = ((np.array([0, 3, 1, 3]), 4), (rng.integers(0, 32, (2, 3, 5)), 32), (np.array([[0, 2], [1, 2]]), 5))
        for labels, n in cases:
            what = f"{name}(labels of shape {labels.shape}, {n})"
            got = as_array(fn(labels.copy(), n), what)
            if got.shape == labels.shape + (labels.max() + 1,) and labels.max() + 1 != n:
                raise Mismatch(f"{what} has {got.shape[-1]} entries per label, not n_classes = {n}: you sized "
                               "the vectors by the largest label", "a batch need not contain every class; "
                               "use n_classes for the length.")  # fmt: skip
            expect_close(got, np.eye(n)[labels], what, hint=hint)
        return f"{name} encodes labels of any shape, with n_classes entries even when some classes are absent."

    return run(name, attempt, hint)


def crossentropy_reference(probs, targets, eps: float = 0.0) -> float:
    """Mean over pixels of -sum_q targets_q log(probs_q + eps) (NumPy re-derivation)."""
    return float(np.mean(-np.sum(np.asarray(targets) * np.log(np.asarray(probs) + eps), axis=-1)))


def check_crossentropy(fn, seed: int = 0) -> bool:
    """Check ``fn(probs, targets)``: (..., K) probabilities and targets -> mean cross-entropy (float).

    Targets are one-hot, then soft (as in Zhang et al.'s soft-encoding), so the sum over classes
    must weigh every class, not only the argmax. ``log(p + eps)`` with eps up to 1e-6 passes.
    """
    name = name_of(fn, "crossentropy")
    hint = ("weigh the log of each probability by its target, sum over the classes (the last axis), then "
            "average over the pixels.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        logits = rng.normal(0, 2, (3, 4, 6))
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        onehot = np.eye(6)[rng.integers(0, 6, (3, 4))]
        soft = rng.dirichlet(np.ones(6), (3, 4))
        for targets, kind in ((onehot, "one-hot"), (soft, "soft")):
            what = f"{name}(probs, {kind} targets)"
            got = as_array(fn(probs.copy(), targets.copy()), what)
            if got.size != 1:
                raise Mismatch(f"{name} returned shape {got.shape}, expected one number (the mean)", hint)
            want = crossentropy_reference(probs, targets)
            if kind == "one-hot" and np.isclose(got, want / 6, rtol=1e-3):
                raise Mismatch("you averaged over the classes too", hint)
            slack = log_eps_slack(lambda eps: crossentropy_reference(probs, targets, eps))  # noqa: B023
            expect_close(got.reshape(()), want, what, atol=1e-5 + slack, hint=hint)
        return f"{name} matches the NumPy re-derivation for one-hot and soft targets."

    return run(name, attempt, hint)


def check_index_losses(fn) -> bool:
    """Check ``fn(true_class, predicted_class, n_classes, confidence)`` -> ``(l1, ce)``.

    ``l1`` is the report's loss on class indices, |true - predicted|; ``ce`` is the one-hot
    cross-entropy when the model puts ``confidence`` on ``predicted_class`` and spreads the rest
    evenly over the other ``n_classes - 1`` classes.
    """
    name = name_of(fn, "index_losses")
    hint = ("the L1 loss is the distance between the two class numbers; the cross-entropy looks only at "
            "the probability left for the true class, a share of what the prediction did not take.")  # fmt: skip

    def attempt():
        p_true = 0.1 / 31
        for true, pred in ((3, 7), (3, 30), (0, 31), (12, 11)):
            what = f"{name}({true}, {pred}, 32, 0.9)"
            got = as_array(fn(true, pred, 32, 0.9), what)
            if got.shape == (2,) and np.isclose(got[1], -np.log(0.9), rtol=1e-3):
                raise Mismatch(f"{what}: ce is -log 0.9, the probability of the predicted class",
                               "the cross-entropy charges the probability of the true class.")  # fmt: skip
            expect_close(got, [abs(true - pred), -np.log(p_true)], what, atol=1e-5 + 2 * LOG_EPS / p_true, hint=hint)
        return (f"{name}: L1 on indices charges 27 for 3 -> 30 but 4 for 3 -> 7; cross-entropy "
                f"charges both {-np.log(p_true):.2f}, since class numbers carry no order.")

    return run(name, attempt, hint)
