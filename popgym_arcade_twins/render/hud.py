"""The heads-up display strip at the bottom of every frame: a label and a number."""

from __future__ import annotations

import numpy as np

from popgym_arcade_twins.render import canvas, font
from popgym_arcade_twins.render.layout import Layout

HUD_TOP, HUD_HEIGHT = 58.5, 5.0


class Hud:
    """Precomputed glyphs and positions for the bottom strip; `width` digits are right-aligned."""

    def __init__(self, layout: Layout, label: str = "SCORE", width: int = 4):
        self.scale = layout.glyph_scale(HUD_HEIGHT)
        self.atlas = font.glyph_atlas(self.scale)
        self.top = round(layout.px(HUD_TOP))
        self.label_left = round(layout.px(2))
        self.number_left = self.label_left + (len(label) + 1) * self.atlas.shape[2]
        self.label = label
        self.width = width

    def draw_static(self, frame: np.ndarray) -> np.ndarray:
        return canvas.text(frame, self.label, self.top, self.label_left, self.scale, "text")

    def draw(self, frame, value):
        return canvas.number(
            frame, self.atlas, value, self.width, self.top, self.number_left, "text"
        )
