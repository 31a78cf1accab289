"""Checkers of lesson 5, Zhang et al. 2016: soft-encoding, rebalancing, the loss, the annealed mean."""

from __future__ import annotations

import numpy as np

from chroma_lab import color, quantize
from chroma_lab.checks._core import Mismatch, as_array, expect_close, log_eps_slack, name_of, run


def _tie_points() -> np.ndarray:
    """ab values with equally near bins at the k-th place: bin centres (k = 3 takes 2 of the 4
    neighbours at distance 10) and midpoints between two bins (k = 5 takes 3 of 4 at 11.2)."""
    bins = quantize.ab_bins()
    centres = bins[::16]
    right = bins[:, None, :] + np.array([10.0, 0.0])
    has_right = (np.abs(right - bins[None]).sum(-1) == 0).any(1)
    midpoints = (bins[has_right] + np.array([5.0, 0.0]))[::8]
    return np.concatenate([centres, midpoints])


def check_soft_encode(fn, seed: int = 0) -> bool:
    """Check ``fn(ab, k=5, sigma=5.0)``: ab (..., 2) -> weights over the 313 bins (..., 313).

    Besides random colours, the inputs hold ties (bin centres, midpoints between bins) where the
    k-th and (k+1)-th nearest bins are equally near: the lower bin index wins, as a stable sort
    keeps it.
    """
    name = name_of(fn, "soft_encode")
    hint = ("keep the k nearest bins, weigh each by a Gaussian of its distance, divide by their sum, "
            "zeros elsewhere; among equally near bins the lower index comes first (a stable sort).")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        random_ab = rng.uniform(-80, 80, (12, 2)).reshape(2, 6, 2)
        ties = _tie_points()
        for ab, k, sigma in ((random_ab, 5, 5.0), (random_ab, 3, 10.0), (ties, 5, 5.0), (ties, 3, 5.0)):
            what = f"{name}(ab, k={k}, sigma={sigma})" + (" on ties" if ab is ties else "")
            got = as_array(fn(ab.copy(), k=k, sigma=sigma), what)
            want = quantize.soft_encode(ab, k, sigma)
            if ab is ties and got.shape == want.shape and not np.allclose(got, want, atol=1e-4):
                if np.allclose(np.sort(got, axis=-1), np.sort(want, axis=-1), atol=1e-4):
                    raise Mismatch(f"{what}: the weights are right but some go to the wrong one of two "
                                   "equally near bins", "on a tie the lower bin index wins; a stable sort "
                                   "keeps equal distances in index order, quicksort and partitions do not.")
            expect_close(got, want, what, hint=hint)
        return f"{name} matches chroma_lab.quantize.soft_encode for k=5, sigma=5 and k=3, sigma=10, ties included."

    return run(name, attempt, hint)


def check_rebalance_weights(fn, seed: int = 0) -> bool:
    """Check ``fn(prior, lam=0.5)``: bin probabilities (Q,) -> rebalancing weights (Q,)."""
    name = name_of(fn, "rebalance_weights")
    hint = ("mix the prior with the uniform distribution over the Q bins, invert, then scale so that the "
            "prior-weighted mean weight is 1.")  # fmt: skip

    def attempt():
        prior = np.random.default_rng(seed).dirichlet(np.full(quantize.N_BINS, 0.3))
        for lam in (0.5, 0.2, 1.0):
            expect_close(fn(prior.copy(), lam=lam), quantize.rebalance_weights(prior, lam),
                         f"{name}(prior, lam={lam})", hint=hint)  # fmt: skip
        return f"{name} matches chroma_lab.quantize.rebalance_weights for lam = 0.5, 0.2, 1."

    return run(name, attempt, hint)


def _annealed_reference(probs, T: float, eps: float = 0.0) -> np.ndarray:
    scaled = np.log(probs + eps) / T
    f = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return (f / f.sum(axis=-1, keepdims=True)) @ quantize.ab_bins()


def check_annealed_mean(fn, seed: int = 0) -> bool:
    """Check ``fn(probs, T=0.38)``: distributions over the 313 bins (..., 313) -> ab (..., 2)."""
    name = name_of(fn, "annealed_mean")
    hint = ("sharpen in log space (divide the log-probabilities by T), renormalise over the bins, then "
            "average the bin centres; shift the sharpened log-probabilities so that their maximum is zero "
            "before exp, or a small T underflows every bin to zero.")  # fmt: skip

    def attempt():
        logits = np.random.default_rng(seed).normal(0, 3, (2, 3, quantize.N_BINS))
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        for T in (1.0, 0.38, 0.1):
            want = quantize.annealed_mean(probs, T)
            slack = log_eps_slack(lambda eps: _annealed_reference(probs, T, eps))  # noqa: B023
            expect_close(fn(probs.copy(), T=T), want, f"{name}(probs, T={T})", atol=1e-4 + slack, hint=hint)
        # A nearly flat distribution at a small T: log(p) / T is about -2900 in every bin; it is never
        # positive, so exp cannot overflow, but without the shift it underflows to 0 everywhere.
        flat = np.exp(np.random.default_rng(seed).normal(0, 0.1, (2, 3, quantize.N_BINS)))
        flat /= flat.sum(-1, keepdims=True)
        got = as_array(fn(flat.copy(), T=0.002), f"{name}(probs, T=0.002)")
        if not np.all(np.isfinite(got)):
            raise Mismatch(f"{name}(probs, T=0.002) is not finite: log(p) / T is never positive, so exp cannot "
                           "overflow, but at a small T it underflows to 0 in every bin and the normalisation "
                           "divides 0 by 0; shift log(p) / T so that its maximum is 0 before exp", hint)
        slack = log_eps_slack(lambda eps: _annealed_reference(flat, 0.002, eps))
        expect_close(got, quantize.annealed_mean(flat, 0.002), f"{name}(probs, T=0.002)", atol=1e-4 + slack,
                     hint=hint)  # fmt: skip
        return f"{name} matches chroma_lab.quantize.annealed_mean for T = 1, 0.38, 0.1 and 0.002."

    return run(name, attempt, hint)


def rebalanced_crossentropy_reference(soft_targets, logits, weights) -> float:
    """Mean over pixels of w * (-sum_q z_q log softmax(logits)_q) (NumPy re-derivation, eq. 2).

    Parameters
    ----------
    soft_targets : array_like of shape (n, Q)
        Soft-encoded targets z (rows sum to 1).
    logits : array_like of shape (n, Q)
        The network's raw scores.
    weights : array_like of shape (n,)
        Rebalancing weight of each pixel.
    """
    return _rebalanced(soft_targets, logits, weights)


def _rebalanced(soft_targets, logits, weights, eps: float = 0.0) -> float:
    z, x = np.asarray(soft_targets, dtype=np.float64), np.asarray(logits, dtype=np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)  # softmax is shift-invariant; exp cannot overflow
    if eps:  # the student's log(softmax + eps)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        log_probs = np.log(probs + eps)
    else:
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(np.mean(np.asarray(weights, dtype=np.float64) * -np.sum(z * log_probs, axis=-1)))


def check_rebalanced_loss(fn, seed: int = 0) -> bool:
    """Check ``fn(soft_targets, logits, weights)``: (n, 313), (n, 313), (n,) -> one number.

    The number is the mean over the n pixels of weight times cross-entropy between the soft target
    and softmax(logits), Zhang et al.'s eq. 2 divided by the pixel count. Compared with
    :func:`rebalanced_crossentropy_reference`, on logits shifted by 1000 (a stable log-softmax
    gives the same answer), and with the library's Keras loss
    :func:`chroma_lab.losses.rebalanced_crossentropy` on targets and weights it built from a tiny
    RGB batch (one colour image, one gray image that the gray mask weighs 0).
    """
    name = name_of(fn, "rebalanced_loss")
    hint = ("a stable log-softmax per row (subtract the row's maximum before exp), the cross-entropy "
            "with the soft target summed over the bins, times the pixel's weight, averaged over pixels.")  # fmt: skip

    def value(z, logits, w, what, nan_hint):
        got = as_array(fn(z.copy(), logits.copy(), w.copy()), what)
        if got.size != 1:
            raise Mismatch(f"{what} returned shape {got.shape}, expected one number (the mean over pixels)",
                           hint)  # fmt: skip
        if not np.isfinite(got.reshape(())):
            raise Mismatch(f"{what} returned {got.reshape(())}", nan_hint + hint)
        return float(got.reshape(()))

    def attempt():
        rng = np.random.default_rng(seed)
        ab = color.rgb_to_lab(rng.uniform(0, 1, (40, 3)))[:, 1:]
        z = quantize.soft_encode(ab).astype(np.float64)
        w = quantize.rebalance_weights(quantize.class_prior(ab))[quantize.nearest_bin(ab)]
        logits = rng.normal(0, 1, (40, quantize.N_BINS))
        what = f"{name}(soft_targets, logits, weights)"
        got = value(z, logits, w, what,
                    "logits are raw scores, some negative: take the log of softmax(logits), not of the logits; ")
        ce = np.array([_rebalanced(z[i : i + 1], logits[i : i + 1], 1.0) for i in range(40)])
        want = _rebalanced(z, logits, w)
        mistakes = (
            (ce.mean(), "you left out the weights: every pixel counts the same, so the dull colours "
                        "win again"),
            (float((w * ce).sum() / w.sum()), "you divided by the sum of the weights; divide by the "
                                              "number of pixels (the weights already average 1)"),
            (float((w * ce).sum()), "you summed over the pixels; take the mean"),
            (float((w * ce).mean() / quantize.N_BINS), "you averaged over the 313 bins; sum over them"),
        )  # fmt: skip
        for wrong, message in mistakes:
            if not np.isclose(want, wrong, rtol=1e-2) and np.isclose(got, wrong, rtol=1e-3):
                raise Mismatch(message, hint)
        slack = log_eps_slack(lambda eps: _rebalanced(z, logits, w, eps))
        expect_close(got, want, what, atol=1e-5 + slack, hint=hint)
        shifted = value(z, logits + 1000.0, w, f"{name} with logits + 1000",
                        "exp(1000) overflows: subtract each row's maximum before exp; ")
        expect_close(shifted, want, f"{name} with logits + 1000 (softmax ignores a shift)", atol=1e-5 + slack,
                     hint="subtract each row's maximum before exp: " + hint)  # fmt: skip

        from keras.ops import convert_to_numpy  # Keras loads only once the NumPy answer is right

        from chroma_lab import losses

        rgb = rng.integers(0, 256, (2, 8, 8, 3)).astype(np.uint8)
        rgb[1] = rgb[1, ..., :1]  # a gray image: the mask weighs its pixels 0
        bin_weights = quantize.rebalance_weights(quantize.class_prior(color.rgb_to_lab(rgb[0])[..., 1:]))
        targets, pixel_weights = (convert_to_numpy(t).astype(np.float64)
                                  for t in losses.zhang_targets(rgb, bin_weights))  # fmt: skip
        net = rng.normal(0, 1, targets.shape)
        keras_loss = convert_to_numpy(losses.rebalanced_crossentropy(rgb, net.astype(np.float32), bin_weights))
        rows = (targets.reshape(-1, quantize.N_BINS), net.reshape(-1, quantize.N_BINS), pixel_weights.reshape(-1))
        mine = value(*rows, f"{name} on chroma_lab.losses.zhang_targets", "")
        slack = log_eps_slack(lambda eps: _rebalanced(*rows, eps))
        expect_close(mine, keras_loss.mean(), f"{name} against chroma_lab.losses.rebalanced_crossentropy",
                     atol=1e-4 + slack, hint=hint)  # fmt: skip
        return (f"{name} matches the NumPy re-derivation (also with logits + 1000) and "
                "chroma_lab.losses.rebalanced_crossentropy.")

    return run(name, attempt, hint)
