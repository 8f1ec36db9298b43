"""A 3x5 bitmap font: digits, a blank, a minus sign and the few letters a HUD needs."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

_ROWS = {
    "0": "111 101 101 101 111",
    "1": "010 110 010 010 111",
    "2": "111 001 111 100 111",
    "3": "111 001 111 001 111",
    "4": "101 101 111 001 001",
    "5": "111 100 111 001 111",
    "6": "111 100 111 101 111",
    "7": "111 001 010 010 010",
    "8": "111 101 111 101 111",
    "9": "111 101 111 001 111",
    " ": "000 000 000 000 000",
    "-": "000 000 111 000 000",
    "+": "000 010 111 010 000",
    "/": "001 001 010 100 100",
    ":": "000 010 000 010 000",
    "?": "111 001 011 000 010",
    "A": "010 101 111 101 101",
    "C": "111 100 100 100 111",
    "D": "110 101 101 101 110",
    "E": "111 100 110 100 111",
    "H": "101 101 111 101 101",
    "I": "111 010 010 010 111",
    "L": "100 100 100 100 111",
    "M": "101 111 111 101 101",
    "N": "110 101 101 101 101",
    "O": "111 101 101 101 111",
    "P": "110 101 110 100 100",
    "R": "110 101 110 101 101",
    "S": "111 100 111 001 111",
    "T": "111 010 010 010 010",
    "V": "101 101 101 101 010",
    "W": "101 101 111 111 101",
    "X": "101 101 010 101 101",
    "Y": "101 101 010 010 010",
}
CHARS = "".join(_ROWS)
GLYPH_HEIGHT, GLYPH_WIDTH = 5, 3
BLANK, MINUS = CHARS.index(" "), CHARS.index("-")

_BITMAPS = np.array(
    [[[c == "1" for c in row] for row in _ROWS[ch].split()] for ch in CHARS], dtype=bool
)


def glyph_atlas(scale: int) -> np.ndarray:
    """bool[len(CHARS), 5*scale, 4*scale]: each glyph magnified, one blank column of spacing."""
    spaced = np.pad(_BITMAPS, ((0, 0), (0, 0), (0, 1)))
    return spaced.repeat(scale, axis=1).repeat(scale, axis=2)


def text_mask(text: str, scale: int) -> np.ndarray:
    """bool[5*scale, 4*scale*len(text)] mask of a static string."""
    unknown = sorted(set(text.upper()) - set(CHARS))
    if unknown:
        raise ValueError(f"the font has no glyph for {unknown}; it has {CHARS!r}")
    atlas = glyph_atlas(scale)
    return np.concatenate([atlas[CHARS.index(ch)] for ch in text.upper()], axis=1)


def number_glyphs(value, width: int) -> jnp.ndarray:
    """int32[width] glyph indices of integer `value`, right-aligned, blank-padded, '-' if negative.

    Values that do not fit keep their lowest digits.
    """
    value = jnp.asarray(value, jnp.int32)
    magnitude = jnp.abs(value)
    powers = 10 ** jnp.arange(width - 1, -1, -1, dtype=jnp.int32)
    digits = (magnitude // powers) % 10
    leading = (magnitude < powers) & (powers > 1)
    glyphs = jnp.where(leading, BLANK, digits)
    num_digits = jnp.sum(~leading)
    minus_at = width - num_digits - 1
    return jnp.where((value < 0) & (jnp.arange(width) == minus_at), MINUS, glyphs)


def number_mask(atlas: np.ndarray, value, width: int) -> jnp.ndarray:
    """bool[glyph_h, width * glyph_w]: `value` set in the glyphs of `atlas` (one gather)."""
    glyphs = jnp.asarray(atlas)[number_glyphs(value, width)]
    return glyphs.transpose(1, 0, 2).reshape(atlas.shape[1], width * atlas.shape[2])
