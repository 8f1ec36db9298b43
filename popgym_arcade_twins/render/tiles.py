"""Tile atlases shared by the games: cards, board cells with markers, glyphs in cells."""

from __future__ import annotations

import numpy as np

from popgym_arcade_twins.render import canvas, font, shapes, sprites


def card(suit: int, height: int, width: int, background: str = "board") -> np.ndarray:
    """uint32[height, width]: a card face with suit `suit` (see `sprites.SUITS`)."""
    grid = shapes.pixel_grid(height, width)
    margin = max(1, min(height, width) // 12)
    face = shapes.rect(grid, margin, margin, height - margin, width - margin)
    side = min(height, width) - 4 * margin
    top, left = (height - side) // 2, (width - side) // 2
    symbol = np.zeros((height, width), bool)
    symbol[top : top + side, left : left + side] = sprites.raster(sprites.SUITS[suit], side)
    return canvas.tile(
        height, width, background, [(face, "card"), (symbol, sprites.SUIT_COLORS[suit])]
    )


def card_back(height: int, width: int, background: str = "board") -> np.ndarray:
    """uint32[height, width]: a face-down card (the card's outline around a plain inner panel)."""
    grid = shapes.pixel_grid(height, width)
    margin = max(1, min(height, width) // 12)
    face = shapes.rect(grid, margin, margin, height - margin, width - margin)
    inner = shapes.rect(grid, 2 * margin, 2 * margin, height - 2 * margin, width - 2 * margin)
    return canvas.tile(height, width, background, [(face, "card"), (inner, "cell")])


def cards(num_suits: int, height: int, width: int, background: str = "board") -> np.ndarray:
    """uint32[num_suits, height, width] card atlas indexed by suit."""
    return np.stack([card(s, height, width, background) for s in range(num_suits)])


def marker(sprite: sprites.Sprite | None, size: int, background: str, fill: str) -> np.ndarray:
    """uint32[size, size]: a board cell (1-pixel grid line) with an optional sprite in it."""
    grid = shapes.pixel_grid(size, size)
    layers = [(~shapes.rect(grid, 0, 0, size - 1, size - 1), "grid")]
    if sprite is not None:
        inner = size - 1
        mask = np.zeros((size, size), bool)
        mask[:inner, :inner] = sprites.raster(sprite, inner)
        layers.append((mask, fill))
    return canvas.tile(size, size, background, layers)


def digit(value: int, size: int, background: str, fill: str) -> np.ndarray:
    """uint32[size, size]: a board cell showing one digit, centred."""
    scale = max(1, (size - 2) // 6)
    glyph = font.text_mask(str(value), scale)[:, : font.GLYPH_WIDTH * scale]
    mask = np.zeros((size, size), bool)
    top, left = (size - 1 - glyph.shape[0]) // 2, (size - 1 - glyph.shape[1]) // 2
    mask[top : top + glyph.shape[0], left : left + glyph.shape[1]] = glyph
    return canvas.paint(marker(None, size, background, fill), mask, fill)


def with_sprite(atlas: np.ndarray, sprite: sprites.Sprite, fill: str) -> np.ndarray:
    """The atlas of board cells, then each tile again with `sprite` painted over it (an avatar
    standing on the cell): id + len(atlas) selects it."""
    size = atlas.shape[1]
    mask = np.zeros(atlas.shape[1:3], bool)
    mask[: size - 1, : size - 1] = sprites.raster(sprite, size - 1)
    return np.concatenate([atlas, np.stack([canvas.paint(t, mask, fill) for t in atlas])])
