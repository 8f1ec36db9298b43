"""Pixel rendering: one palette, one set of primitives, one font, sprites and a logical layout."""

from popgym_arcade_twins.render import canvas, font, shapes, sprites
from popgym_arcade_twins.render.layout import Box, Grid, Layout
from popgym_arcade_twins.render.palette import COLORS, color, pack, to_rgb

__all__ = [
    "COLORS",
    "Box",
    "Grid",
    "Layout",
    "canvas",
    "color",
    "font",
    "pack",
    "shapes",
    "sprites",
    "to_rgb",
]
