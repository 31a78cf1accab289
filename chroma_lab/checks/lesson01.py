"""Checkers of lesson 1: sRGB decoding, RGB -> XYZ -> Lab, the three gray formulas."""

from __future__ import annotations

import numpy as np

from chroma_lab import color
from chroma_lab.checks._core import Mismatch, as_array, expect_close, name_of, random_rgb, run


def check_srgb_to_linear(fn, seed: int = 0) -> bool:
    """Check ``fn(c)``: gamma-encoded sRGB values in 0..1 (any shape) -> linear light, same shape."""
    name = name_of(fn, "srgb_to_linear")
    hint = ("the sRGB curve has two pieces, a straight line near black and an offset power above the "
            "knee at 0.04045; choose the piece value by value.")  # fmt: skip

    def attempt():
        rng = np.random.default_rng(seed)
        c = np.concatenate([[0.0, 0.01, 0.04045, 0.05, 0.5, 1.0], rng.uniform(0, 1, 24)])
        got = as_array(fn(c.copy()), f"{name}(c)")
        if got.shape == c.shape and np.allclose(got, c**2.2, atol=1e-3):
            raise Mismatch("you used the power 2.2 everywhere", hint)
        expect_close(got, color.srgb_to_linear(c), f"{name}(c)", c, hint=hint)
        grid = c[:12].reshape(2, 2, 3)
        expect_close(fn(grid.copy()), color.srgb_to_linear(grid), f"{name} on a (2, 2, 3) image",
                     hint="work element by element so that any shape is kept.")  # fmt: skip
        return f"{name} matches chroma_lab.color.srgb_to_linear on {c.size} values, knee included."

    return run(name, attempt, hint)


def check_rgb_to_xyz(fn, seed: int = 0) -> bool:
    """Check ``fn(rgb)``: float sRGB (..., 3) in 0..1 -> CIE XYZ (D65), same shape."""
    name = name_of(fn, "rgb_to_xyz")
    hint = ("decode the sRGB values to linear light first, then apply the matrix to the last axis, "
            "so that its rows give X, Y and Z.")  # fmt: skip

    def attempt():
        rgb = random_rgb(np.random.default_rng(seed), 20)
        got = as_array(fn(rgb.copy()), f"{name}(rgb)")
        if got.shape == rgb.shape and np.allclose(got, rgb @ color.XYZ_FROM_RGB.T, atol=1e-4):
            raise Mismatch("you skipped the sRGB decoding: the matrix acts on linear light", hint)
        if got.shape == rgb.shape and np.allclose(got, color.srgb_to_linear(rgb) @ color.XYZ_FROM_RGB,
                                                  atol=1e-4):  # fmt: skip
            raise Mismatch("you multiplied by the transposed matrix: X must come from the first row", hint)
        # 1e-3: a matrix copied with four decimals is as good as the library's six
        expect_close(got, color.rgb_to_xyz(rgb), f"{name}(rgb)", rgb, atol=1e-3, hint=hint)
        image = rgb[:12].reshape(2, 2, 3, 3)
        expect_close(fn(image.copy()), color.rgb_to_xyz(image), f"{name} on a (2, 2, 3, 3) array", atol=1e-3,
                     hint="the channels are the last axis, whatever the shape in front.")  # fmt: skip
        return f"{name} matches chroma_lab.color.rgb_to_xyz; white gives the D65 white point."

    return run(name, attempt, hint)


def check_xyz_to_lab(fn, seed: int = 0) -> bool:
    """Check ``fn(xyz)``: CIE XYZ (..., 3) -> CIE Lab (..., 3), D65 white."""
    name = name_of(fn, "xyz_to_lab")
    hint = ("divide by the white point first; f is a cube root above the threshold and a straight line "
            "below it; L comes from f(Y) alone, a and b are differences of f values.")  # fmt: skip

    def attempt():
        xyz = color.rgb_to_xyz(random_rgb(np.random.default_rng(seed), 20))
        got = as_array(fn(xyz.copy()), f"{name}(xyz)")
        no_white = color.xyz_to_lab(xyz * color.D65_WHITE)
        if got.shape == xyz.shape and np.allclose(got, no_white, atol=1e-2):
            raise Mismatch("the white point does not give a* = b* = 0",
                           "divide X, Y, Z by the XYZ of white before applying f.")
        expect_close(got, color.xyz_to_lab(xyz), f"{name}(xyz)", xyz, atol=1e-2, hint=hint)
        return f"{name} matches chroma_lab.color.xyz_to_lab, dark colours (linear part of f) included."

    return run(name, attempt, hint)


_GRAY_HINTS = {
    "cie": "the L*-preserving gray is the luminance Y of the linear colour, encoded back with the sRGB "
           "curve and put on the 0..255 scale.",
    "rec601": "luma weighs the gamma-encoded values themselves, with the three weights of the text.",
    "report": "the report's weights, blue corrected to 0.07, on the gamma-encoded values.",
}  # fmt: skip


def check_gray(fn, method: str = "cie", seed: int = 0) -> bool:
    """Check ``fn(rgb)``: uint8 RGB (..., 3) -> gray 0..255 (..., ) with one luminance formula.

    Parameters
    ----------
    fn : callable
    method : {"cie", "rec601", "report"}
        The formula ``fn`` implements, as in :func:`chroma_lab.color.rgb_to_gray`.
    """
    name = f"{name_of(fn, 'gray')} ({method!r})"

    def attempt():
        if method not in color.GRAY_METHODS:
            raise Mismatch(f"method must be one of {color.GRAY_METHODS}, got {method!r}",
                           "pass the name of the formula your function implements.")  # fmt: skip
        rgb = np.round(random_rgb(np.random.default_rng(seed), 30) * 255).astype(np.uint8)
        got = as_array(fn(rgb.copy()), f"gray(rgb) for {method!r}")
        want = color.rgb_to_gray(rgb, method).astype(np.float64)
        linear = color.srgb_to_linear(rgb / 255.0)
        if got.shape == want.shape:
            # the lightness and the linear luminance first: both leave white short of 255, which
            # the white test below would misreport as weights that do not sum to 1
            if np.allclose(got, color.rgb_to_lab(rgb)[..., 0], atol=0.5):
                raise Mismatch("you returned L* (0..100), the lightness itself, not a gray level",
                               "a gray level is the sRGB encoding of the luminance Y, on the 0..255 scale.")
            if method == "cie" and np.allclose(got, 255 * (linear @ color.XYZ_FROM_RGB[1]), atol=0.5):
                raise Mismatch("you returned the linear luminance: dark colours come out too dark",
                               "encode Y back with the sRGB curve before scaling to 0..255.")
            if got.max() <= 1.0 < want.max():
                raise Mismatch("your values lie in 0..1", "return gray levels on the 0..255 scale.")
            if got.size > 1 and abs(got[1] - want[1]) > 1.5:
                raise Mismatch(f"white (255, 255, 255) gave {got[1]:.1f}, not 255: white is no longer white",
                               "the three weights must sum to 1. " + _GRAY_HINTS[method])  # fmt: skip
        # 1 gray level of slack: rounding (or not) to whole levels is both fine
        expect_close(got, want, f"gray(rgb) for {method!r}", rgb, atol=1.0, hint=_GRAY_HINTS[method])
        return f"the {method!r} gray matches chroma_lab.color.rgb_to_gray(rgb, {method!r}) to 1 level."

    return run(name, attempt, _GRAY_HINTS.get(method, ""))
