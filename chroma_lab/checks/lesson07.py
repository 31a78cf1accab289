"""Exercise checkers of lesson 7 (coherent and colorful): the gradient loss, the regulariser, the
gradient-magnitude rebalancing. Same contract and machinery as :mod:`chroma_lab.checks._core`: one
``PASS``/``FAIL`` line, True or False, never an exception; the references are NumPy re-derivations written here and
the library's Keras losses in :mod:`chroma_lab.losses`.
"""

from __future__ import annotations

import numpy as np

from chroma_lab import quantize
from chroma_lab.checks._core import Mismatch, as_array, expect_close, run
from chroma_lab.color import AB_SCALE


def gradient_loss_reference(true_ab, pred_ab) -> np.ndarray:
    """Per pixel (n, H - 1, W - 1): ``sqrt(|dx_T - dx_P|^2 + |dy_T - dy_P|^2)`` on ab / 110."""
    d = (np.asarray(true_ab, dtype=np.float64) - np.asarray(pred_ab, dtype=np.float64)) / AB_SCALE
    dx = d[:, :-1, 1:] - d[:, :-1, :-1]
    dy = d[:, 1:, :-1] - d[:, :-1, :-1]
    return np.sqrt((dx**2).sum(-1) + (dy**2).sum(-1))


def regularizer_reference(base_probs, refined_probs, T: float = 0.01) -> np.ndarray:
    """Per pixel: ``1 - Z . f_T(Z_hat) / max(Z)``, f_T the annealing of lesson 5's eq. 5."""
    z = np.asarray(base_probs, dtype=np.float64)
    scaled = np.log(np.asarray(refined_probs, dtype=np.float64)) / T
    sharp = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    sharp /= sharp.sum(axis=-1, keepdims=True)
    return 1.0 - (z * sharp).sum(-1) / z.max(-1)


# The tolerances follow from float32 rounding, the precision a correct answer may compute in: each
# operation rounds to a relative 2^-24 (half of float32's eps), and the gradient loss chains a
# handful of them (difference, scaling, two differences, squares, sum, square root), so a correct
# answer stays within ROUNDING_STEPS float32 epsilons of the largest magnitude it handled.
ROUNDING_STEPS = 8
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def float32_tolerance(scale: float) -> float:
    """The largest error a correct float32 computation on values of size ``scale`` can make."""
    return ROUNDING_STEPS * FLOAT32_EPS * float(scale)


def _random_ab(rng, shape):
    ab = rng.uniform(-50, 50, shape + (2,))
    ab[:, :, : shape[2] // 2] = ab[:, :1, :1]  # a flat half: gradients of exactly zero as well
    return ab


def check_gradient_loss(fn, seed: int = 0) -> bool:
    """Check ``fn(true_ab, pred_ab)``: (n, H, W, 2) twice -> per-pixel L_C of shape (n, H - 1, W - 1)."""
    hint = ("measure ab in units of 110; take forward differences to the right and downwards, both "
            "cropped to the pixels that have a right and a lower neighbour; per pixel, the Euclidean "
            "length of the truth's differences minus the prediction's, over both directions and both "
            "channels.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        true_ab, pred_ab = _random_ab(rng, (2, 5, 6)), _random_ab(rng, (2, 5, 6))
        got = as_array(fn(true_ab.copy(), pred_ab.copy()), "gradient_loss(true_ab, pred_ab)")
        want = gradient_loss_reference(true_ab, pred_ab)
        if got.shape != want.shape:
            raise Mismatch(f"gradient_loss returned shape {got.shape}, expected {want.shape} "
                            "(one value per pixel that has a right and a lower neighbour)", hint)
        if np.allclose(got, want * AB_SCALE, rtol=1e-6):
            raise Mismatch("the values are 110 times too large: measure ab in units of 110", hint)
        if np.allclose(got, want**2, rtol=1e-6):
            raise Mismatch("you returned the squared distance; take its square root", hint)
        # the inputs reach |ab| = 50, a shifted copy 80: the answer handles values up to 80 / 110
        atol = float32_tolerance(80.0 / AB_SCALE)
        expect_close(got, want, "gradient_loss(true_ab, pred_ab)", atol=atol, rtol=1e-6, hint=hint)
        shifted = as_array(fn(true_ab.copy(), true_ab + np.array([30.0, -20.0])), "gradient_loss")
        if not np.allclose(shifted, 0.0, atol=atol):
            raise Mismatch("a prediction that is the truth plus one constant colour must cost 0: "
                            "compare gradients, not colours", hint)

        from keras.ops import convert_to_numpy  # Keras loads only once the NumPy answer is right

        from chroma_lab.losses import coherence_loss

        library = convert_to_numpy(coherence_loss(true_ab, pred_ab))
        expect_close(got, library, "gradient_loss against chroma_lab.losses.coherence_loss",
                      atol=3e-4, hint=hint)  # fmt: skip
        return ("gradient_loss matches the NumPy re-derivation and chroma_lab.losses."
                "coherence_loss, and a colour shift costs nothing.")

    return run("gradient_loss", attempt, hint)


def check_color_regularizer(fn, seed: int = 0) -> bool:
    """Check ``fn(base_probs, refined_probs, T=0.01)``: (..., 313) twice -> per-pixel L_R (...)."""
    hint = ("sharpen the refined distribution as lesson 5's annealed mean does (log-probabilities over T, "
            "shifted so that their maximum is zero, exponentiated, renormalised over the bins); L_R is "
            "one minus the base probability of that sharpened choice, relative to the base's largest "
            "probability.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        logits = rng.normal(0, 3, (2, 2, 3, quantize.N_BINS))
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        base, refined = probs[0], probs[1]
        for T in (0.01, 0.38, 1.0):
            got = as_array(fn(base.copy(), refined.copy(), T=T), f"color_regularizer(..., T={T})")
            want = regularizer_reference(base, refined, T)
            if got.shape != want.shape:
                raise Mismatch(f"color_regularizer returned shape {got.shape}, expected {want.shape}", hint)
            _expect_finite(got, T)
            expect_close(got, want, f"color_regularizer(base, refined, T={T})",
                         atol=max(1e-6, _sharpening_tolerance(refined, T)), hint=hint)  # fmt: skip
        # A nearly flat distribution at a small T: log(p) / T is about -2900 in every bin, so exp
        # without the shift underflows to 0 everywhere (in float64 as in float32) and 0 / 0 follows.
        flat = np.exp(rng.normal(0, 0.1, (2, 3, quantize.N_BINS)))
        flat /= flat.sum(-1, keepdims=True)
        got = as_array(fn(base.copy(), flat.copy(), T=0.002), "color_regularizer(..., T=0.002)")
        _expect_finite(got, 0.002)
        expect_close(got, regularizer_reference(base, flat, 0.002), "color_regularizer(base, flat, T=0.002)",
                     atol=max(1e-6, _sharpening_tolerance(flat, 0.002)), hint=hint)  # fmt: skip
        same = as_array(fn(base.copy(), base.copy(), T=0.01), "color_regularizer(base, base)")
        if not np.all(same < 0.05):
            raise Mismatch("when the refined distribution has the base's mode, L_R must be close to 0",
                            hint)

        from keras.ops import convert_to_numpy

        from chroma_lab.losses import color_regularizer

        library = convert_to_numpy(color_regularizer(np.log(base), np.log(refined), 0.01))
        expect_close(fn(base.copy(), refined.copy(), T=0.01), library,
                      "color_regularizer against chroma_lab.losses.color_regularizer",
                      atol=1e-4, hint=hint)  # fmt: skip
        return ("color_regularizer matches the NumPy re-derivation for T = 0.01, 0.38, 1 and "
                "chroma_lab.losses.color_regularizer.")

    return run("color_regularizer", attempt, hint)


def _expect_finite(got, T):
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"color_regularizer(..., T={T}) is not finite: log(p) / T is never positive, so "
                       "exp of it cannot overflow, but it underflows to 0 in every bin when T is small "
                       "and the normalisation divides 0 by 0; shift log(p) / T so that its maximum is 0 "
                       "before exp")  # fmt: skip


def _sharpening_tolerance(probs, T):
    """float32 rounding of f_T: log(p) / T carries an absolute error of about eps |log p| / T, which
    exp turns into a relative error of the weights; the weights that matter are the largest."""
    return float32_tolerance(np.abs(np.log(np.max(probs, axis=-1))).max() / T + 1.0)


def check_gradient_rebalancing(fn, seed: int = 0) -> bool:
    """Check ``fn(ab, edges, lam=0.5)`` -> (prior, weights) over the gradient-magnitude bins."""
    hint = ("the gradient magnitude in ab units (not divided by 110), cropped as in the gradient loss; "
            "each magnitude falls in the bin whose lower edge it reaches, the last bin open-ended; the "
            "prior is the share of pixels in each bin, every bin counted even when empty; the weights "
            "are lesson 5's rebalancing of that prior with the given lambda.")  # fmt: skip

    def attempt():
        from chroma_lab.losses import GRADIENT_EDGES, gradient_prior

        rng = np.random.default_rng(seed)
        ab = _random_ab(rng, (3, 8, 8)) * np.linspace(0, 1, 8)[None, None, :, None]
        out = fn(ab.copy(), GRADIENT_EDGES, lam=0.5)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Mismatch(f"return two arrays, the prior and the weights; got {type(out).__name__}", hint)
        prior = as_array(out[0], "the prior")
        want = gradient_prior(ab)
        expect_close(prior, want, "the gradient-magnitude prior", atol=1e-9, hint=hint)
        expect_close(out[1], quantize.rebalance_weights(want, 0.5), "the weights", rtol=1e-6, hint=hint)
        lam = fn(ab.copy(), GRADIENT_EDGES, lam=0.2)[1]
        expect_close(lam, quantize.rebalance_weights(want, 0.2), "the weights with lam = 0.2",
                      rtol=1e-6, hint=hint)  # fmt: skip
        return ("the gradient-magnitude prior and weights match chroma_lab.losses."
                "gradient_prior and quantize.rebalance_weights.")

    return run("gradient_rebalancing", attempt, hint)
