"""Procedural little landscapes: a colorization dataset of any size, generated in seconds.

Each scene is a sky over a ground, with a sun or moon, trees, houses and balls. The colours are
chosen so that colorization is *learnable from lightness and texture* on a CPU in minutes:

* smooth gradients are sky (blue by day, orange and pink at sunset, dark blue at night);
* noisy mid-dark texture is grass (green), fine faint noise is sand (beige), horizontal ripples
  are water (blue), very light smooth ground is snow;
* trees, houses (red or brown roofs) and the sun keep their usual colours.

Balls are the deliberate exception: each is red or blue at random, and the two colours have the
same CIE lightness (:data:`BALL_COLORS`), so a gray image cannot tell them apart and the best a
model can do is hedge, exactly as for a car or a shirt in a photo.

Every image is drawn with vectorised NumPy masks on a pixel grid and is reproducible: image ``i``
of ``synthetic_scenes(n, size, seed)`` depends only on ``(seed, i, size)``.

The generator knows every surface it paints, so ``return_regions=True`` also returns a region map:
the ground truth of "which pixels belong to one surface" that the bleeding and coherence measures
of :mod:`chroma_lab.metrics` need (on photos they have to guess it from lightness edges).
"""

from __future__ import annotations

import numpy as np

from chroma_lab._checks import check_int, check_number
from chroma_lab.color import linear_to_srgb, srgb_to_linear
from chroma_lab.errors import ChromaLabError

SCENE_CLASSES = ("grass", "beach", "lake", "snow", "sunset", "night")

# Same L* (43.7 and 43.5): the pair a grayscale image cannot tell apart.
BALL_COLORS = {"red": (200, 35, 35), "blue": (40, 90, 230)}

_SKIES = {  # (top, horizon) colours
    "day": ((70, 130, 215), (175, 210, 240)),
    "snow": ((95, 140, 205), (200, 215, 235)),
    "night": ((8, 12, 40), (35, 50, 95)),
}
_SUNSET_SKY = ((60, 55, 125), (225, 115, 110), (250, 175, 75))  # top, middle (pink), horizon
# a*b* of a sunset sky drawn at a day sky's lightness (``ambiguous_sunsets``): top, middle, horizon
SUNSET_HUES = ((22.0, -32.0), (38.0, 12.0), (22.0, 50.0))
_GRASS = (65, 125, 40)
_DARK_GRASS = {"sunset": (70, 75, 30), "night": (18, 32, 26)}
_SAND = (222, 196, 145)
_WATER = (45, 110, 165)
_SNOW = (238, 242, 250)
_SNOW_SHADOW = (195, 210, 235)
_TRUNK = (95, 65, 40)
_CROWNS = ((45, 115, 40), (70, 130, 35), (35, 95, 45))
_CONIFER = (25, 75, 45)
_WALLS = ((235, 225, 200), (230, 210, 150), (205, 205, 210), (190, 120, 90))
_ROOFS = ((170, 45, 35), (140, 70, 40), (120, 40, 35))
_WINDOW_DAY, _WINDOW_NIGHT = (150, 180, 210), (255, 215, 110)


def synthetic_scenes(n: int, size: int = 64, seed: int = 0, *, progress: bool = False,
                     return_regions: bool = False, ambiguous_sunsets: bool = False):  # fmt: skip
    """Generate ``n`` labelled landscapes.

    Parameters
    ----------
    n : int
        Number of images, >= 1.
    size : int
        Side of the square images in pixels, >= 16.
    seed : int
        Same seed, same images byte for byte; the first k images do not depend on ``n``.
    progress : bool
        Show a tqdm progress bar.
    return_regions : bool
        Also return the region map of every image. The images and labels are the same bytes
        either way (tracking the surfaces draws no random numbers).
    ambiguous_sunsets : bool
        Draw each sunset sky as a day sky (gradient, clouds, sun) and then give it the sunset's
        hues at the *same* lightness (:data:`SUNSET_HUES`): a patch of sky then cannot tell a
        sunset from a day, only the rest of the scene can (the darker grass, the objects against
        the light). Lesson 6 uses it to show what Iizuka et al.'s global stream is for. The
        other classes are the same bytes either way.

    Returns
    -------
    images : ndarray of shape (n, size, size, 3), uint8
    labels : ndarray of shape (n,), str
        Names from :data:`SCENE_CLASSES`; every class appears n // 6 or n // 6 + 1 times.
    regions : ndarray of shape (n, size, size), int32
        Only with ``return_regions=True``: see :func:`render_scene`.
    """
    n, size = check_int(n, "n", low=1), check_int(size, "size", low=16)
    seed = check_int(seed, "seed", low=0)
    labels = _balanced_labels(n, seed)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    regions = np.empty((n, size, size), dtype=np.int32) if return_regions else None
    indices = range(n)
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc="Drawing scenes", unit="image")
    for i in indices:
        drawn = render_scene(np.random.default_rng([seed, i]), size, labels[i], return_regions=return_regions,
                             ambiguous_sunset=ambiguous_sunsets)  # fmt: skip
        if return_regions:
            images[i], regions[i] = drawn
        else:
            images[i] = drawn
    if return_regions:
        return images, np.array(labels, dtype=str), regions
    return images, np.array(labels, dtype=str)


def render_scene(rng: np.random.Generator, size: int, kind: str, return_regions: bool = False,
                 ambiguous_sunset: bool = False):  # fmt: skip
    """Draw one scene of class ``kind``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every random choice (positions, counts, hues, noise).
    size : int
        Side in pixels, >= 16.
    kind : str
        One of :data:`SCENE_CLASSES`.
    return_regions : bool
        Also return the region map.
    ambiguous_sunset : bool
        A sunset's sky is a day sky recoloured at the same lightness (see :func:`synthetic_scenes`).

    Returns
    -------
    image : ndarray of shape (size, size, 3), uint8
    regions : ndarray of shape (size, size), int32
        Only with ``return_regions=True``. Every surface the generator paints gets its own id:
        the sky (0, always; its gradient, clouds, sun glow and stars are part of it), the sun or
        moon, the ground (grass, snow or water), the beach's foam line and sand, the lake's far
        shore, and each object's parts separately (a tree's trunk and crown, a house's wall,
        roof and each window, each ball). Ids run 0..k-1 in drawing order, each present at least
        once. Shadows and the haze at the horizon are tints of the surface beneath, not surfaces.
        Edges are anti-aliased over one pixel: a pixel belongs to the surface whose paint
        contributes most to its final colour (its alpha times the share that later layers leave
        visible), the earlier-drawn surface on a tie. An occluded object split in two keeps one id.
    """
    if kind not in SCENE_CLASSES:
        raise ChromaLabError(f"kind must be one of {SCENE_CLASSES}, got {kind!r}")
    c = _Canvas(size, track_surfaces=return_regions)
    horizon = rng.uniform(0.38, 0.55)
    time = {"sunset": "sunset", "night": "night", "snow": "snow"}.get(kind, "day")
    if time == "sunset" and ambiguous_sunset:
        _draw_sky(c, rng, "day", horizon)
        _recolor_sky_as_sunset(c, horizon)
    else:
        _draw_sky(c, rng, time, horizon)
    _draw_ground(c, rng, kind, horizon)
    _draw_objects(c, rng, kind, time, horizon)
    c.img += rng.normal(0.0, 1.5, c.img.shape)  # a little sensor noise everywhere
    image = np.round(np.clip(c.img, 0, 255)).astype(np.uint8)
    return (image, c.region_map()) if return_regions else image


# ----------------------------------------------------------------------------------------------
# Drawing on a float canvas in 0..255; coordinates are fractions of the side, so any size works.
# ----------------------------------------------------------------------------------------------
class _Canvas:
    def __init__(self, size: int, track_surfaces: bool = False):
        self.size = size
        self.px = 1.0 / size  # one pixel, the width of the anti-aliased edges
        centres = (np.arange(size) + 0.5) / size
        self.y, self.x = np.meshgrid(centres, centres, indexing="ij")
        self.img = np.zeros((size, size, 3))
        # surface key -> how much of each pixel's final colour its paint makes up (drawing order)
        self.visible = {} if track_surfaces else None

    def paint(self, alpha, color, surface=None):
        """Blend ``color`` ((3,) or (H, W, 3)) where ``alpha`` (H, W) in 0..1 says.

        ``surface`` (any hashable key) names what is painted; None is a tint (shadow, haze) of
        whatever lies beneath. Tracking never changes the pixels.
        """
        a = np.asarray(alpha)[..., None]
        self.img = self.img * (1.0 - a) + np.asarray(color, dtype=float) * a
        if self.visible is not None and surface is not None:
            a = np.broadcast_to(a[..., 0], self.y.shape)
            for key in self.visible:
                self.visible[key] = self.visible[key] * (1.0 - a)
            self.visible[surface] = self.visible.get(surface, 0.0) + a

    def fill(self, img, surface):
        """Replace the whole canvas by ``img`` (H, W, 3), all of it ``surface``."""
        self.img = img
        if self.visible is not None:
            self.visible = {surface: np.ones(self.y.shape)}

    def region_map(self) -> np.ndarray:
        """(H, W) int32: the surface that dominates each pixel, renumbered 0..k-1 in drawing order."""
        dominant = np.argmax(np.stack(list(self.visible.values())), axis=0)  # first on ties
        return np.unique(dominant, return_inverse=True)[1].reshape(self.y.shape).astype(np.int32)

    def edge(self, distance):
        """Soft step: 1 inside (distance > 0), 0 outside, linear over one pixel."""
        return np.clip(distance / self.px + 0.5, 0.0, 1.0)

    def disc(self, cy, cx, r):
        return self.edge(r - np.hypot(self.y - cy, self.x - cx))

    def rect(self, top, bottom, left, right):
        return (self.edge(self.y - top) * self.edge(bottom - self.y)
                * self.edge(self.x - left) * self.edge(right - self.x))

    def triangle(self, apex_y, base_y, cx, half_width):
        """Isosceles triangle pointing up: apex at (apex_y, cx), base of width 2*half_width."""
        depth = np.clip((self.y - apex_y) / (base_y - apex_y), 0.0, None)
        return (self.edge(half_width * depth - np.abs(self.x - cx)) * self.edge(base_y - self.y)
                * self.edge(self.y - apex_y))

    def noise(self, rng, cells: int):
        """Smooth value noise in about -1..1, ``cells`` bumps per side (bilinear, smoothstep)."""
        grid = rng.uniform(-1.0, 1.0, (cells + 1, cells + 1))
        t = (np.arange(self.size) + 0.5) / self.size * cells
        i = np.minimum(t.astype(int), cells - 1)
        f = t - i
        f = f * f * (3 - 2 * f)
        rows = grid[i] * (1 - f)[:, None] + grid[i + 1] * f[:, None]
        return rows[:, i] * (1 - f) + rows[:, i + 1] * f


def _jitter(rng, color, amount=12.0):
    return np.clip(np.asarray(color, dtype=float) + rng.normal(0.0, amount, 3), 0, 255)


def _lerp(a, b, t):
    return np.asarray(a, float) * (1 - t[..., None]) + np.asarray(b, float) * t[..., None]


def _draw_sky(c, rng, time, horizon):
    t = np.clip(c.y / horizon, 0, 1)
    if time == "sunset":
        top, mid, low = (_jitter(rng, col, 10) for col in _SUNSET_SKY)
        c.fill(np.where((t < 0.55)[..., None], _lerp(top, mid, t / 0.55),
                        _lerp(mid, low, (t - 0.55) / 0.45)), "sky")
        cy, cx, r = horizon - rng.uniform(0.0, 0.08), rng.uniform(0.2, 0.8), rng.uniform(0.07, 0.12)
        c.paint(0.35 * c.disc(cy, cx, 2.2 * r), (250, 190, 90), "sky")  # glow
        c.paint(c.disc(cy, cx, r), _jitter(rng, (255, 165, 60), 8), "sun")
        return
    top, low = (_jitter(rng, col, 8) for col in _SKIES[time])
    c.fill(_lerp(top, low, t**1.5), "sky")
    if time == "night":
        stars = (rng.random(c.y.shape) < 0.012) & (c.y < horizon * 0.9)
        c.paint(stars * rng.uniform(0.4, 1.0, c.y.shape), (255, 255, 235), "sky")
        cy, cx = rng.uniform(0.08, horizon - 0.12), rng.uniform(0.15, 0.85)
        r = rng.uniform(0.04, 0.07)
        moon = c.disc(cy, cx, r)
        if rng.random() < 0.5:  # crescent
            moon = moon * (1 - c.disc(cy - 0.3 * r, cx + 0.5 * r, r))
        c.paint(moon, (240, 238, 215), "moon")
        return
    clouds = np.clip(c.noise(rng, 4) * 1.6 - rng.uniform(0.2, 0.9), 0, 1) * (c.y < horizon)
    c.paint(0.8 * clouds, (250, 250, 252), "sky")
    if time == "day" and rng.random() < 0.7:
        cy, cx = rng.uniform(0.08, horizon - 0.15), rng.uniform(0.1, 0.9)
        r = rng.uniform(0.04, 0.07)
        c.paint(0.3 * c.disc(cy, cx, 1.8 * r), (255, 250, 215), "sky")
        c.paint(c.disc(cy, cx, r), (255, 240, 170), "sun")


def _recolor_sky_as_sunset(c, horizon):
    """Keep the drawn sky's L*, replace its a*b* by the sunset's, by height (:data:`SUNSET_HUES`)."""
    from chroma_lab.color import lab_to_rgb, rgb_to_lab

    lab = rgb_to_lab(np.clip(c.img, 0, 255) / 255.0)
    t = np.clip(c.y / horizon, 0, 1)
    top, middle, low = (np.array(ab, dtype=float) for ab in SUNSET_HUES)
    lab[..., 1:] = np.where((t < 0.55)[..., None], _lerp(top, middle, t / 0.55), _lerp(middle, low, (t - 0.55) / 0.45))
    c.img = 255.0 * lab_to_rgb(lab)


def _draw_ground(c, rng, kind, horizon):
    below = c.edge(c.y - horizon)
    depth = np.clip((c.y - horizon) / (1 - horizon), 0, 1)  # 0 at the horizon, 1 at the bottom
    fine = rng.normal(0.0, 1.0, c.y.shape)
    sky_low = c.img[max(int(horizon * c.size) - 1, 0)].mean(0)
    if kind in ("grass", "sunset", "night"):
        base = _jitter(rng, _DARK_GRASS.get(kind, _GRASS), 6)
        shade = 1 + 0.22 * fine + 0.15 * c.noise(rng, 5) - 0.15 * depth
        c.paint(below, base * shade[..., None], "ground")
    elif kind == "snow":
        shadow = np.clip(c.noise(rng, 3) + 0.2, 0, 1)[..., None]
        c.paint(below, _lerp(_SNOW, _SNOW_SHADOW, shadow[..., 0]) + 2.5 * fine[..., None], "ground")
    else:  # water for lake and beach; the beach then covers the near part with sand
        _draw_water(c, rng, below, depth, horizon)
        if kind == "lake":  # the far shore: a dark green strip under the horizon
            top = horizon - 0.005
            bottom = top + rng.uniform(0.03, 0.06) + 0.01 * c.noise(rng, 6)
            shore = c.edge(c.y - top) * c.edge(bottom - c.y)
            c.paint(shore, _jitter(rng, (40, 85, 40), 6) * (1 + 0.2 * fine)[..., None], "shore")
        else:
            line = horizon + rng.uniform(0.12, 0.25) + 0.02 * c.noise(rng, 3)
            c.paint(c.edge(c.y - line - 0.012) * 0.7, (235, 240, 240), "foam")
            sand = _jitter(rng, _SAND, 6) * (1 + 0.05 * fine + 0.05 * c.noise(rng, 4))[..., None]
            c.paint(c.edge(c.y - line - 0.02), sand, "sand")
    # aerial perspective: the far ground fades toward the sky colour at the horizon
    haze = np.clip(1 - (c.y - horizon) / 0.12, 0, 1) * below * 0.25
    c.paint(haze, sky_low)  # a tint of the ground, not a surface


def _draw_water(c, rng, below, depth, horizon):
    freq = rng.uniform(2.0, 3.0) * c.size / (1 - horizon)  # ripples get wider toward the viewer
    distance = np.clip(c.y - horizon, 0, None) ** 1.3 / (1 + depth)
    phase = 2 * np.pi * freq * distance + 2.5 * c.noise(rng, 5)
    ripples = 1 + 0.14 * np.sin(phase) + 0.04 * rng.normal(0, 1, c.y.shape)
    water = _lerp(_jitter(rng, _WATER, 8) * 1.15, _jitter(rng, _WATER, 8) * 0.85, depth)
    c.paint(below, water * ripples[..., None], "ground")


def _draw_objects(c, rng, kind, time, horizon):
    # (base_y, what) pairs, drawn far to near so that nearer objects hide farther ones
    objects = []
    near = (horizon + 0.06, 0.97)
    if kind == "lake":
        near = (horizon + 0.01, horizon + 0.03)  # trees and houses stand on the far shore
    if kind != "beach":
        for _ in range(rng.integers(0, 4)):
            conifer = kind == "snow" or rng.random() < 0.3
            objects.append((rng.uniform(*near), "conifer" if conifer else "tree"))
    if kind != "beach" and rng.random() < 0.6:
        for _ in range(rng.integers(1, 3)):
            objects.append((rng.uniform(*near), "house"))
    if kind in ("grass", "beach", "snow"):
        for _ in range(rng.integers(1, 4)):
            objects.append((rng.uniform(max(near[0], horizon + 0.15), 0.95), "ball"))
    for k, (base_y, what) in enumerate(sorted(objects, key=lambda o: o[0])):
        scale = 0.12 + 0.35 * (base_y - horizon) / (1 - horizon)  # perspective: near is big
        if kind == "lake":
            scale = rng.uniform(0.10, 0.16)
        cx = rng.uniform(0.05, 0.95)
        dark = {"sunset": 0.55, "night": 0.3}.get(time, 1.0)  # against the light, or at night
        if what == "tree":
            c.paint(c.rect(base_y - 0.45 * scale, base_y, cx - 0.05 * scale, cx + 0.05 * scale),
                    _jitter(rng, _TRUNK, 8) * dark, (k, "trunk"))
            crown = c.disc(base_y - 0.6 * scale, cx, 0.3 * scale)
            leaves = _jitter(rng, _CROWNS[rng.integers(len(_CROWNS))], 6) * dark
            c.paint(crown, leaves * (1 + 0.2 * c.noise(rng, max(4, c.size // 6)))[..., None],
                    (k, "crown"))
        elif what == "conifer":
            c.paint(c.rect(base_y - 0.15 * scale, base_y, cx - 0.04 * scale, cx + 0.04 * scale),
                    _jitter(rng, _TRUNK, 8) * dark, (k, "trunk"))
            needles = _jitter(rng, _CONIFER, 5) * dark
            needles = needles * (1 + 0.15 * rng.normal(0, 1, c.y.shape))[..., None]
            crown = c.triangle(base_y - 1.0 * scale, base_y - 0.12 * scale, cx, 0.28 * scale)
            c.paint(crown, needles, (k, "crown"))
        elif what == "house":
            _draw_house(c, rng, base_y, cx, scale, time, dark, k)
        else:
            _draw_ball(c, rng, base_y, cx, scale, k)


def _draw_house(c, rng, base_y, cx, scale, time, dark, k):
    half_w, wall_h = rng.uniform(0.3, 0.45) * scale, rng.uniform(0.35, 0.5) * scale
    top = base_y - wall_h
    wall = _jitter(rng, _WALLS[rng.integers(len(_WALLS))], 6) * dark
    c.paint(c.rect(top, base_y, cx - half_w, cx + half_w), wall, (k, "wall"))
    # at night the roof stays half lit (moonlight), so a red roof is still a cue to learn
    roof_light = dark if time == "sunset" else max(dark, 0.5)
    roof = _jitter(rng, _ROOFS[rng.integers(len(_ROOFS))], 8) * roof_light
    c.paint(c.triangle(top - 0.35 * scale, top + 0.01, cx, 1.2 * half_w), roof, (k, "roof"))
    window = _WINDOW_NIGHT if time == "night" else np.array(_WINDOW_DAY) * dark
    w = 0.22 * half_w
    for side, wx in enumerate((cx - 0.5 * half_w, cx + 0.5 * half_w)):
        c.paint(c.rect(top + 0.25 * wall_h, top + 0.25 * wall_h + 2 * w, wx - w, wx + w), window,
                (k, "window", side))


def _draw_ball(c, rng, base_y, cx, scale, k):
    r = rng.uniform(0.12, 0.2) * scale
    cy = base_y - r
    shadow = c.edge(1 - np.hypot((c.y - base_y) / (0.3 * r), (c.x - cx) / (1.1 * r)))
    c.paint(0.35 * shadow, (0, 0, 0))  # a tint of the ground, not a surface
    color = BALL_COLORS["red" if rng.random() < 0.5 else "blue"]
    # Shade by scaling *linear* light: Y scales the same for both colours, so L* stays equal.
    u, v = (c.x - cx) / r, (c.y - cy) / r
    light = np.clip(1.0 - 0.45 * np.hypot(u + 0.35, v + 0.35) ** 2 / 1.8, 0.35, 1.0)
    linear = srgb_to_linear(np.asarray(color, dtype=float) / 255.0) * light[..., None]
    c.paint(c.disc(cy, cx, r), 255.0 * linear_to_srgb(linear), (k, "ball"))


def _balanced_labels(n: int, seed: int) -> list:
    """Each block of len(SCENE_CLASSES) images holds every class once, in a seeded order."""
    k = len(SCENE_CLASSES)
    labels = []
    for block in range((n + k - 1) // k):
        order = np.random.default_rng([seed, 1_000_003, block]).permutation(k)
        labels.extend(SCENE_CLASSES[j] for j in order)
    return labels[:n]


# ----------------------------------------------------------------------------------------------
# Scenes built around the ambiguity of Zhang et al.: objects whose lightness does not tell their hue
# ----------------------------------------------------------------------------------------------
# ab of the two hues, opposite on the colour circle (both displayable at the lightnesses below)
AMBIGUOUS_HUES = {"green": (-40.0, 23.0), "magenta": (40.0, -23.0), "gray": (0.0, 0.0)}
BALL_L = 60.0  # every ball's CIE lightness, whatever its colour
# How often a ball has each colour: green is the likely hue, gray the hedge, magenta the rare hue.
BALL_ODDS = {"green": 0.5, "gray": 0.3, "magenta": 0.2}
BAND_L = 80.0  # the magenta band behind the balls: the only thing of this lightness, always magenta


def ambiguous_scenes(n: int, size: int = 24, seed: int = 0, *, band: float = 0.25,
                     return_colors: bool = False):  # fmt: skip
    """Balls whose lightness does not tell their hue: the ambiguity of Zhang et al. (2016).

    Each image is a neutral gray background, dark (L* 10 to 30) or light (L* 88 to 97), a smooth
    gradient with faint texture; a horizontal magenta band of lightness :data:`BAND_L`; and 3 to
    6 flat balls in front, all of lightness :data:`BALL_L`. A ball's colour is drawn from
    :data:`BALL_ODDS`: green with probability 0.5, gray 0.3, magenta 0.2. Green and magenta are
    opposite on the colour circle, so at a ball's pixel

    * the squared error is smallest for the mean colour, a faint green (green and magenta cancel);
    * a classifier's most probable colour is green;
    * gray, the most common colour of all (the background), is the hedge that class rebalancing
      makes cheap.

    The band (always magenta, and the only thing of its lightness, so no ambiguity) is there so
    that over all pixels magenta is about as common as green: rebalancing then gives the two hues
    about the same weight and changes the balls' odds only against gray.

    Parameters
    ----------
    n : int
        Number of images, >= 1.
    size : int
        Side of the square images in pixels, >= 16.
    seed : int
        Same seed, same images; image ``i`` depends only on ``(seed, i, size, band)``.
    band : float
        Height of the magenta band, as a fraction of the side (0 for none).
    return_colors : bool
        Also return the colour of every ball.

    Returns
    -------
    images : ndarray of shape (n, size, size, 3), uint8
    colors : list of list of str
        Only with ``return_colors=True``: the colour of each ball of each image, in drawing order.
    """
    from chroma_lab.color import lab_to_rgb  # the colours are defined in Lab

    n, size = check_int(n, "n", low=1), check_int(size, "size", low=16)
    seed = check_int(seed, "seed", low=0)
    band = check_number(band, "band", low=0, high=1, high_open=True)  # a fraction of the side
    paint = {name: 255.0 * lab_to_rgb(np.array([BALL_L, *ab])) for name, ab in AMBIGUOUS_HUES.items()}
    band_rgb = 255.0 * lab_to_rgb(np.array([BAND_L, *AMBIGUOUS_HUES["magenta"]]))
    images = np.empty((int(n), int(size), int(size), 3), dtype=np.uint8)
    colors = []
    for i in range(int(n)):
        rng = np.random.default_rng([int(seed), 2_000_003, i])
        c = _Canvas(int(size))
        low, high = (10.0, 30.0) if rng.random() < 0.5 else (88.0, 97.0)
        ends = 255.0 * lab_to_rgb(np.array([[rng.uniform(low, high), 0, 0] for _ in range(2)]))[:, 0]
        ramp = np.linspace(ends[0], ends[1], int(size))
        ramp = ramp[:, None] if rng.random() < 0.5 else ramp[None, :]
        c.fill(np.repeat((ramp + 3.0 * c.noise(rng, 4))[..., None], 3, axis=-1), "background")
        top = rng.uniform(0, 1 - band)
        c.paint(c.rect(top, top + band, -1.0, 2.0) > 0.5, band_rgb)  # hard edges: three colours only
        placed = []
        for _ in range(rng.integers(3, 7)):
            color = str(rng.choice(list(BALL_ODDS), p=list(BALL_ODDS.values())))
            r = rng.uniform(0.16, 0.26)
            cy, cx = rng.uniform(r, 1 - r, size=2)
            c.paint(c.disc(cy, cx, r) > 0.5, paint[color])
            placed.append(color)
        c.img += rng.normal(0.0, 1.0, c.img.shape)  # a little sensor noise
        images[i] = np.round(np.clip(c.img, 0, 255)).astype(np.uint8)
        colors.append(placed)
    return (images, colors) if return_colors else images
