"""The grid of dealt cards that the card games show: one slot per card, in dealing order.

A game computes one int slot id per card (`EMPTY`, `face(suit)` or `back`, plus `cursor` to
outline it) and `draw` lays them out row by row in one tile gather and one paste.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.render import canvas, sprites, tiles
from popgym_arcade_twins.render.layout import Layout


class CardGrid:
    """Slots for `count` cards of `num_suits` suits in the largest grid that fits the logical box.

    Slot ids: `EMPTY` (nothing dealt there yet), `face(suit)`, `back` (a face-down card), and any of
    these plus `cursor` for the same tile outlined in the cursor colour.
    """

    EMPTY = 0

    def __init__(
        self,
        layout: Layout,
        count: int,
        num_suits: int,
        top: float,
        left: float,
        height: float,
        width: float,
    ):
        self.count = count
        self.grid = layout.grid_for(count, top, left, height, width)
        cell = self.grid.cell
        plain = np.concatenate(
            [
                canvas.blank(cell, cell, "board")[None],
                tiles.cards(num_suits, cell, cell),
                tiles.card_back(cell, cell)[None],
            ]
        )
        outline = sprites.raster(sprites.outline, cell)
        outlined = np.stack([canvas.paint(t, outline, "cursor") for t in plain])
        self.atlas = np.concatenate([plain, outlined])
        self.back = num_suits + 1
        self.cursor = len(plain)

    @staticmethod
    def face(suit: jax.Array) -> jax.Array:
        """Slot id of a face-up card of `suit`."""
        return suit + 1

    def draw_board(self, frame: np.ndarray) -> np.ndarray:
        """The grid's background, for a static layer."""
        return canvas.fill_box(frame, self.grid.box, "board")

    def draw(self, frame: jax.Array, slot_ids: jax.Array) -> jax.Array:
        """Paste the grid for `slot_ids` int[count] (one id per card, in dealing order)."""
        rows, cols = self.grid.rows, self.grid.cols
        ids = jnp.pad(slot_ids, (0, rows * cols - self.count)).reshape(rows, cols)
        return canvas.paste(
            frame, canvas.compose_tiles(self.atlas, ids), self.grid.top, self.grid.left
        )
