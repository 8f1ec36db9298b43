"""Shape masks over pixel grids: the drawing primitives of every game.

One convention for all: ``shape(grid, *geometry) -> bool mask``. ``grid`` is a pair ``(ys, xs)``
of broadcastable float arrays holding pixel-centre coordinates; points are ``(y, x)``; lengths are
in the grid's units. The same code runs on numpy arrays (static layers, built once) and on jax
arrays (dynamic parts, traced), so static and dynamic drawing cannot drift apart. Each shape first
reduces its geometry to a few coefficients, computed once (`once.materialize`), then tests every
pixel with a handful of multiply-adds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.render.once import materialize

Grid = tuple  # (ys, xs)
Point = tuple  # (y, x)


def array_module(*values):
    """`jnp` if any value is a jax array or tracer, else `np`."""
    return jnp if any(isinstance(v, jax.Array) for v in values) else np


def pixel_grid(height: int, width: int, top: float = 0.0, left: float = 0.0) -> Grid:
    """Pixel-centre coordinates of a `height x width` window whose corner is at (top, left)."""
    ys = np.arange(height, dtype=np.float32)[:, None] + np.float32(top + 0.5)
    xs = np.arange(width, dtype=np.float32)[None, :] + np.float32(left + 0.5)
    return ys, xs


def unit_grid(height: int, width: int) -> Grid:
    """Pixel centres of a `height x width` raster scaled to the unit square (sprites)."""
    ys, xs = pixel_grid(height, width)
    return ys / height, xs / width


def rect(grid: Grid, top, left, bottom, right):
    """Axis-aligned box, edges inclusive of `top`/`left` and exclusive of `bottom`/`right`."""
    ys, xs = grid
    top, left, bottom, right = materialize((top, left, bottom, right))
    return (ys >= top) & (ys < bottom) & (xs >= left) & (xs < right)


def frame(grid: Grid, top, left, bottom, right, thickness):
    """Outline of a box, `thickness` wide on the inside."""
    t = thickness
    return rect(grid, top, left, bottom, right) & ~rect(
        grid, top + t, left + t, bottom - t, right - t
    )


def disk(grid: Grid, center: Point, radius):
    ys, xs = grid
    (cy, cx), radius_sq = materialize((center, radius**2))
    return (ys - cy) ** 2 + (xs - cx) ** 2 <= radius_sq


def ring(grid: Grid, center: Point, radius, thickness):
    """Annulus of outer radius `radius`."""
    return disk(grid, center, radius) & ~disk(grid, center, radius - thickness)


def segment(grid: Grid, start: Point, end: Point, half_width):
    """Thick line segment with round caps: points within `half_width` of [start, end]."""
    ys, xs = grid
    xp = array_module(ys, xs, *start, *end)
    dy, dx = end[0] - start[0], end[1] - start[1]
    scale = 1 / xp.maximum(dy * dy + dx * dx, 1e-9)
    (y0, x0), (dy, dx), scale, width_sq = materialize((start, (dy, dx), scale, half_width**2))
    along = xp.clip(((ys - y0) * dy + (xs - x0) * dx) * scale, 0.0, 1.0)
    return (ys - y0 - along * dy) ** 2 + (xs - x0 - along * dx) ** 2 <= width_sq


def polygon(grid: Grid, vertices: Sequence[Point]):
    """Convex polygon; vertices in either winding order."""
    ys, xs = grid
    edges = [
        (x1 - x0, y1 - y0, (y1 - y0) * x0 - (x1 - x0) * y0)
        for (y0, x0), (y1, x1) in zip(vertices, [*vertices[1:], vertices[0]], strict=True)
    ]
    sides = [a * ys - b * xs + c for a, b, c in materialize(edges)]
    inside_pos, inside_neg = sides[0] >= 0, sides[0] <= 0
    for side in sides[1:]:
        inside_pos = inside_pos & (side >= 0)
        inside_neg = inside_neg & (side <= 0)
    return inside_pos | inside_neg


def arc(grid: Grid, center: Point, radius, thickness, start_angle, sweep):
    """Band of an annulus from `start_angle` over `sweep` radians (|sweep| <= 2 pi).

    Angles are counter-clockwise on screen (y points down), so a positive sweep turns towards the
    top first when it starts at angle 0. Inside-ness uses cross products, not per-pixel arctan2.
    """
    ys, xs = grid
    xp = array_module(ys, xs, start_angle, sweep)
    first = xp.where(sweep >= 0, start_angle, start_angle + sweep)  # the wedge runs ccw from here
    last = first + abs(sweep)
    trig = (xp.cos(first), xp.sin(first), xp.cos(last), xp.sin(last), abs(sweep) <= math.pi)
    (cy, cx), (cos_first, sin_first, cos_last, sin_last, is_narrow) = materialize((center, trig))
    up, right = cy - ys, xs - cx
    after_first = cos_first * up - sin_first * right >= 0
    before_last = right * sin_last - up * cos_last >= 0
    in_wedge = xp.where(is_narrow, after_first & before_last, after_first | before_last)
    return ring(grid, center, radius, thickness) & in_wedge


def _head(tip: Point, forward: Point, head) -> list[Point]:
    """Corners of a triangular arrow head `head` long, pointing along unit vector `forward`."""
    base = (tip[0] - head * forward[0], tip[1] - head * forward[1])
    half = 0.8 * head
    return [
        tip,
        (base[0] + half * forward[1], base[1] - half * forward[0]),
        (base[0] - half * forward[1], base[1] + half * forward[0]),
    ]


def arrow(grid: Grid, start: Point, end: Point, half_width, head):
    """Straight arrow from `start` to `end` with a triangular head `head` long."""
    xp = array_module(*grid, *start, *end)
    dy, dx = end[0] - start[0], end[1] - start[1]
    length = xp.maximum(xp.sqrt(dy * dy + dx * dx), 1e-6)
    forward = (dy / length, dx / length)
    base = (end[0] - head * forward[0], end[1] - head * forward[1])
    return segment(grid, start, base, half_width) | polygon(grid, _head(end, forward, head))


def curved_arrow(grid: Grid, center: Point, radius, thickness, start_angle, sweep, head):
    """An `arc` with a triangular head at its end, pointing along the direction of the sweep."""
    xp = array_module(*grid, start_angle, sweep)
    end = start_angle + sweep
    mid = radius - thickness / 2
    on_arc = (center[0] - mid * xp.sin(end), center[1] + mid * xp.cos(end))
    turn = xp.where(sweep >= 0, 1.0, -1.0)
    forward = (-turn * xp.cos(end), -turn * xp.sin(end))
    tip = (on_arc[0] + head * forward[0], on_arc[1] + head * forward[1])
    return arc(grid, center, radius, thickness, start_angle, sweep) | polygon(
        grid, _head(tip, forward, head)
    )
