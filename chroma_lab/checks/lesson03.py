"""Checkers of lesson 3: patch extraction, SOM classes, the patch MLP."""

from __future__ import annotations

import numpy as np

from chroma_lab.checks._core import Mismatch, as_array, expect_close, expect_indices, name_of, nearest, run
from chroma_lab.data import extract_patches


def check_extract_patches(fn, seed: int = 0) -> bool:
    """Check ``fn(gray, patch_size)``: (H, W) -> (H * W, patch_size ** 2) patches, reflect padding."""
    name = name_of(fn, "extract_patches")
    hint = ("reflect the image by half a patch on every side, then take the p x p window centred on "
            "each pixel, flattened row by row, pixels in raster order.")  # fmt: skip

    def attempt():
        gray = np.random.default_rng(seed).integers(0, 256, (5, 6)).astype(np.uint8)
        for p in (3, 5):
            got = as_array(fn(gray.copy(), p), f"{name}(gray, {p})")
            want = extract_patches(gray, p).astype(np.float64)
            if got.shape == want.shape and not np.array_equal(got, want):
                inner = np.zeros(gray.shape, bool)
                inner[p // 2 : -(p // 2), p // 2 : -(p // 2)] = True
                if np.array_equal(got[inner.ravel()], want[inner.ravel()]):
                    raise Mismatch(f"with patch_size={p} the inner pixels are right, the border ones are not",
                                   "reflect the image at its border (mode 'reflect' mirrors without "
                                   "repeating the edge pixel).")  # fmt: skip
            expect_close(got, want, f"{name}(gray, {p})", hint=hint)
        return f"{name} matches chroma_lab.data.extract_patches for 3x3 and 5x5, borders included."

    return run(name, attempt, hint)


def check_som_classes(fn, seed: int = 0) -> bool:
    """Check ``fn(ab, weights)``: ab (..., 2), SOM cell colours (k, 2) -> nearest cell index (...,)."""
    name = name_of(fn, "som_classes")
    hint = "the class of a pixel is its best-matching unit, the neuron whose colour is nearest in ab."

    def attempt():
        rng = np.random.default_rng(seed)
        weights = rng.uniform(-60, 60, (9, 2))
        ab = np.concatenate([rng.uniform(-80, 80, (30, 2)), weights]).reshape(3, 13, 2)
        expect_indices(fn(ab.copy(), weights.copy()), nearest(ab, weights), f"{name}(ab, weights)", hint)
        return f"{name} gives every pixel its best-matching SOM cell."

    return run(name, attempt, hint)


def _patch_task(rng, n: int):
    """n random 5x5 patches and a class that a linear model cannot learn.

    Three pixels are dark or light (the centre, the one above it, the one to its left); the class
    is (centre XOR above) + 2 * left. The XOR part is the point: no weighted sum of the pixels
    separates "the two agree" from "they differ", a hidden layer does.
    """
    X = rng.uniform(0.25, 0.75, (n, 25))  # the other pixels: texture that does not matter
    bits = rng.integers(0, 2, (n, 3))
    for column, pixel in enumerate((12, 7, 11)):  # centre, above, left in the flattened 5x5 patch
        X[:, pixel] = np.array([0.2, 0.8])[bits[:, column]] + rng.normal(0, 0.05, n)
    return X, (bits[:, 0] ^ bits[:, 1]) + 2 * bits[:, 2]


def check_patch_mlp(fn, seed: int = 0) -> bool:
    """Check ``fn(X, y, hidden_layer_sizes, random_state)`` -> a fitted classifier with ``predict``.

    Trained on 600 random 5x5 patches whose class depends on three pixels, partly as an XOR that no
    linear model can learn (:func:`_patch_task`), it must reach 85 % accuracy on 300 new patches,
    use the hidden layers it was given, and give the same model for the same seed.
    """
    name = name_of(fn, "train_mlp")
    hint = ("a multi-layer perceptron classifier with the hidden layers you are given, trained for up to "
            "300 epochs, seeded with random_state.")  # fmt: skip

    def attempt():
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        # a student's MLP that stops at max_iter still passes if it is accurate: no warning noise
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        X, y = _patch_task(np.random.default_rng(seed), 900)
        model = fn(X[:600], y[:600], (32,), 0)
        kind = type(model).__name__
        if not hasattr(model, "predict"):
            raise Mismatch(f"{name} returned {kind}, not a fitted model with predict()", hint)
        layers = getattr(model, "hidden_layer_sizes", (32,))
        if tuple(np.atleast_1d(layers)) != (32,):
            raise Mismatch(f"asked for hidden_layer_sizes=(32,), the model has {layers}",
                           "pass hidden_layer_sizes on to the classifier.")  # fmt: skip
        pred = np.asarray(model.predict(X[600:]))
        if pred.shape != (300,):
            raise Mismatch(f"model.predict(X) returned shape {pred.shape}, expected (300,)", hint)
        accuracy = float((pred == y[600:]).mean())
        if accuracy < 0.85:
            linear = "" if hasattr(model, "hidden_layer_sizes") else (
                f"; a {kind} has no hidden layer, and these classes depend on two pixels together (an "
                "XOR), which no weighted sum of the pixels can separate")  # fmt: skip
            raise Mismatch(f"held-out accuracy {accuracy:.0%} < 85 %{linear}", hint)
        again = np.asarray(fn(X[:600], y[:600], (32,), 0).predict(X[600:]))
        if not np.array_equal(pred, again):
            raise Mismatch("two runs with random_state=0 disagree", "pass random_state on to the classifier.")
        return f"{name} learns the patch classes ({accuracy:.0%} held-out accuracy), reproducibly."

    return run(name, attempt, hint)
