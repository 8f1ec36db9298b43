"""Canvas operations. A canvas is uint32[H, W] of packed pixels (see `palette`).

Static layers are numpy arrays built once per (game, size); dynamic parts are composed onto them in
jax by gather (tiles, glyphs) or by a few masked writes into small windows, so a frame costs
O(pixels) and never O(pixels x primitives).
"""

from __future__ import annotations

from collections.abc import Iterable

import jax.numpy as jnp
import numpy as np
from jax import lax

from popgym_arcade_twins.render import font, shapes
from popgym_arcade_twins.render.layout import Box
from popgym_arcade_twins.render.once import materialize
from popgym_arcade_twins.render.palette import color

Layer = tuple[np.ndarray, str]  # (bool mask, colour name)


def blank(height: int, width: int, fill: str) -> np.ndarray:
    return np.full((height, width), color(fill), np.uint32)


def paint(canvas, mask, fill: str):
    """Colour the pixels of `mask` (same shape as `canvas`)."""
    xp = shapes.array_module(canvas, mask)
    return xp.where(mask, color(fill), canvas)


def fill_box(canvas: np.ndarray, box: Box, fill: str) -> np.ndarray:
    out = canvas.copy()
    out[box.slices] = color(fill)
    return out


def stamp(canvas, top, left, layers: Iterable[Layer]):
    """Colour each (mask, colour) layer, in order, into the window of `canvas` at (top, left).

    The masks are bool[h, w] of the window's size. Numpy in, numpy out (precompute); otherwise
    the window is updated with one dynamic slice and one dynamic update, so `top`/`left` may be
    traced.
    """
    layers = list(layers)
    h, w = layers[0][0].shape
    arrays = [canvas, top, left, *(mask for mask, _ in layers)]
    if shapes.array_module(*arrays) is np:
        out = canvas.copy()
        for mask, fill in layers:
            out[top : top + h, left : left + w][mask] = color(fill)
        return out
    window = lax.dynamic_slice(canvas, (top, left), (h, w))
    for mask, fill in layers:
        window = jnp.where(mask, color(fill), window)
    return lax.dynamic_update_slice(canvas, window, (top, left))


def paste(canvas, pixels, top, left):
    """Overwrite a window of `canvas` with `pixels` (uint32[h, w]); offsets may be traced."""
    return lax.dynamic_update_slice(jnp.asarray(canvas), pixels, (top, left))


def tile(height: int, width: int, background: str, layers: Iterable[Layer] = ()) -> np.ndarray:
    """uint32[height, width] tile: a background with masks painted over it in order."""
    out = blank(height, width, background)
    for mask, fill in layers:
        out = paint(out, mask, fill)
    return out


def compose_tiles(atlas: np.ndarray, ids) -> jnp.ndarray:
    """uint32[rows*h, cols*w] from a tile atlas uint32[K, h, w] and int ids[rows, cols].

    Gathers whole tile rows (the output is built in its final layout, with no transpose).
    """
    rows, cols = ids.shape
    num_tiles, h, w = atlas.shape
    ids = materialize(ids)
    tile_rows = jnp.asarray(atlas).reshape(num_tiles * h, w)
    row_ids = ids[:, None, :] * h + jnp.arange(h)[None, :, None]  # [rows, h, cols]
    return tile_rows[row_ids].reshape(rows * h, cols * w)


def text(canvas: np.ndarray, string: str, top: int, left: int, scale: int, fill: str) -> np.ndarray:
    """Set a static string in the bitmap font (precompute only)."""
    return stamp(canvas, top, left, [(font.text_mask(string, scale), fill)])


def number(canvas, atlas: np.ndarray, value, width: int, top: int, left: int, fill: str):
    """Draw integer `value` right-aligned in `width` glyph cells of `atlas` (font.glyph_atlas)."""
    return stamp(canvas, top, left, [(font.number_mask(atlas, value, width), fill)])
