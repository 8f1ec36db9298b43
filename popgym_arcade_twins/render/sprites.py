"""Sprites drawn from the shape primitives in unit coordinates, so they rasterize at any size.

Each sprite is a function of a unit grid (see `shapes.unit_grid`) returning a bool mask; `raster`
turns one into a bool[h, w] array once, at precompute time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from popgym_arcade_twins.render import shapes

Sprite = Callable[[shapes.Grid], np.ndarray]


def heart(g):
    lobes = shapes.disk(g, (0.36, 0.31), 0.19) | shapes.disk(g, (0.36, 0.69), 0.19)
    return lobes | shapes.polygon(g, [(0.42, 0.13), (0.42, 0.87), (0.86, 0.5)])


def diamond(g):
    return shapes.polygon(g, [(0.1, 0.5), (0.5, 0.84), (0.9, 0.5), (0.5, 0.16)])


def spade(g):
    lobes = shapes.disk(g, (0.58, 0.31), 0.18) | shapes.disk(g, (0.58, 0.69), 0.18)
    body = shapes.polygon(g, [(0.1, 0.5), (0.53, 0.87), (0.53, 0.13)])
    stem = shapes.polygon(g, [(0.55, 0.5), (0.9, 0.68), (0.9, 0.32)])
    return lobes | body | stem


def club(g):
    leaves = (
        shapes.disk(g, (0.3, 0.5), 0.17)
        | shapes.disk(g, (0.56, 0.3), 0.17)
        | shapes.disk(g, (0.56, 0.7), 0.17)
    )
    stem = shapes.polygon(g, [(0.45, 0.5), (0.9, 0.68), (0.9, 0.32)])
    return leaves | stem


def cross(g):
    return shapes.segment(g, (0.2, 0.2), (0.8, 0.8), 0.09) | shapes.segment(
        g, (0.2, 0.8), (0.8, 0.2), 0.09
    )


def dot(g):
    return shapes.disk(g, (0.5, 0.5), 0.2)


def mine(g):
    spikes = shapes.segment(g, (0.15, 0.5), (0.85, 0.5), 0.06) | shapes.segment(
        g, (0.5, 0.15), (0.5, 0.85), 0.06
    )
    return shapes.disk(g, (0.5, 0.5), 0.26) | spikes


def pawn(g):
    """An avatar: a round head on a flared body."""
    body = shapes.polygon(g, [(0.45, 0.4), (0.45, 0.6), (0.88, 0.8), (0.88, 0.2)])
    return shapes.disk(g, (0.3, 0.5), 0.17) | body


def outline(g):
    """A cursor: the border of the cell."""
    return shapes.frame(g, 0.0, 0.0, 1.0, 1.0, 0.12)


SUITS: tuple[Sprite, ...] = (spade, heart, diamond, club)
"""Card suits in deck order; a card's type indexes this tuple."""

SUIT_COLORS = ("black", "red", "red", "black")


def raster(sprite: Sprite, height: int, width: int | None = None) -> np.ndarray:
    """bool[height, width] mask of `sprite` (square when `width` is omitted)."""
    return np.asarray(sprite(shapes.unit_grid(height, width or height)))
