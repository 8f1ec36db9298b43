"""The frame of the grid games: a board of tiles filling the frame above the HUD strip."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import numpy as np

from popgym_arcade_twins.render import canvas, sprites, tiles
from popgym_arcade_twins.render.hud import Hud
from popgym_arcade_twins.render.layout import Layout

CURSOR = (sprites.outline, "cursor")


class BoardView:
    """A `rows x cols` board drawn from tile ids in one gather, and the HUD below it.

    `cell_tiles(cell)` gives the plain tiles (uint32[cell, cell] each) for the board's cell size.
    With an `overlay` (sprite, colour), such as `CURSOR` or an avatar, every tile also exists with
    the overlay painted on it, and `draw` puts it where `overlay_at` is true.
    """

    def __init__(
        self,
        layout: Layout,
        rows: int,
        cols: int,
        cell_tiles: Callable[[int], Sequence[np.ndarray]],
        overlay: tuple[sprites.Sprite, str] | None = None,
        hud_label: str = "SCORE",
    ):
        self.grid = layout.grid(2, 2, 55, 60, rows, cols)
        plain = np.stack(cell_tiles(self.grid.cell))
        self.num_plain = len(plain)
        self.tiles = plain if overlay is None else tiles.with_sprite(plain, *overlay)
        self.hud = Hud(layout, label=hud_label)
        self.background = self.hud.draw_static(canvas.blank(layout.size, layout.size, "background"))

    def draw(self, ids: jax.Array, hud_value: jax.Array, overlay_at: jax.Array | None = None):
        """The frame: int `ids` [rows, cols] of plain tiles, the overlay where bool `overlay_at`."""
        if overlay_at is not None:
            ids = ids + self.num_plain * overlay_at
        board = canvas.compose_tiles(self.tiles, ids)
        frame = canvas.paste(self.background, board, self.grid.top, self.grid.left)
        return self.hud.draw(frame, hud_value)
