"""The one palette every game draws with, and the packed pixel format canvases use.

Canvases hold one uint32 per pixel, 0x00BBGGRR, so a pixel is one element for every select, copy
and gather (three times fewer than uint8 RGB; XLA's CPU loops are per element). `to_rgb` turns a
packed canvas into the uint8[..., 3] frame an observation is.
"""

import jax
import jax.numpy as jnp
import numpy as np

_HEX = {
    "background": "#1d2130",
    "panel": "#2b3145",
    "board": "#3a4260",
    "cell": "#56607f",
    "cell_open": "#c9ced9",
    "grid": "#151823",
    "text": "#f2f2f2",
    "text_dark": "#1d2130",
    "cursor": "#ffd23f",
    "red": "#e2383f",
    "green": "#3bb273",
    "blue": "#3f8efc",
    "orange": "#f28c28",
    "purple": "#9b5de5",
    "cyan": "#2ec4d6",
    "black": "#101010",
    "white": "#ffffff",
    "card": "#f7f3e8",
}


def pack(rgb) -> np.ndarray:
    """uint32 pixels from uint8 RGB values in the last axis."""
    rgb = np.asarray(rgb, np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def to_rgb(packed: jax.Array) -> jax.Array:
    """uint8[..., 3] RGB of a packed uint32 canvas (one bitcast and a slice)."""
    return jax.lax.bitcast_convert_type(jnp.asarray(packed, jnp.uint32), jnp.uint8)[..., :3]


COLORS: dict[str, np.uint32] = {
    name: pack([int(code[i : i + 2], 16) for i in (1, 3, 5)]) for name, code in _HEX.items()
}


def color(name: str) -> np.uint32:
    """The packed colour `name`; unknown names list the palette."""
    if name not in COLORS:
        raise KeyError(f"unknown colour {name!r}; the palette has {sorted(COLORS)}")
    return COLORS[name]
