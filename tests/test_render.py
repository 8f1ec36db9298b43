"""Renderer primitives on tiny canvases, with pixel counts worked out by hand."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popgym_arcade_twins.render import (
    Layout,
    canvas,
    color,
    font,
    pack,
    shapes,
    sprites,
    tiles,
    to_rgb,
)
from popgym_arcade_twins.render.card_grid import CardGrid

GRID = shapes.pixel_grid(8, 8)  # pixel centres at 0.5, 1.5, ..., 7.5


def test_rect_covers_half_open_box():
    mask = shapes.rect(GRID, 2, 3, 5, 7)
    assert mask.sum() == 3 * 4
    assert mask[2, 3] and mask[4, 6] and not mask[5, 3] and not mask[2, 7]


def test_frame_is_box_minus_inner_box():
    assert shapes.frame(GRID, 0, 0, 8, 8, 1).sum() == 64 - 36


def test_disk_and_ring():
    assert shapes.disk(GRID, (4, 4), 1.5).sum() == 4  # the four centres at distance sqrt(0.5)
    # radius 2.5 adds the 8 centres at distance sqrt(2.5) and the 4 at sqrt(4.5); sqrt(6.5) is out
    assert shapes.disk(GRID, (4, 4), 2.5).sum() == 16
    assert shapes.ring(GRID, (4, 4), 2.5, 1.0).sum() == 16 - 4


def test_segment_has_round_caps_and_width():
    # rows 3.5 and 4.5 are within 0.5 of y=4; caps at x=1 and x=7 reach no extra centre
    assert shapes.segment(GRID, (4, 1), (4, 7), 0.5).sum() == 2 * 6


def test_polygon_either_winding():
    square = [(2, 2), (2, 6), (6, 6), (6, 2)]
    assert shapes.polygon(GRID, square).sum() == 16
    assert shapes.polygon(GRID, square[::-1]).sum() == 16
    triangle = [(0, 0), (8, 0), (8, 8)]  # below the diagonal y = x, centres on it included
    assert shapes.polygon(GRID, triangle).sum() == 8 * 9 // 2


@pytest.mark.parametrize("sweep", [1.0, -1.0, 4.0, -4.0])
def test_arc_matches_angle_definition(sweep):
    grid = shapes.pixel_grid(31, 31)
    center, start = (15.3, 15.7), 0.4
    mask = shapes.arc(grid, center, 14, 5, start, sweep)
    ys, xs = grid
    angle = np.arctan2(center[0] - ys, xs - center[1])
    travelled = (np.sign(sweep) * (angle - start)) % (2 * np.pi)
    expected = shapes.ring(grid, center, 14, 5) & (travelled <= abs(sweep))
    assert np.array_equal(mask, expected)


def test_shapes_agree_on_numpy_and_jax():
    numpy_mask = shapes.arrow(GRID, (4.0, 1.0), (4.0, 7.0), 0.6, 2.0)
    jax_mask = jax.jit(lambda tip: shapes.arrow(GRID, (4.0, 1.0), (4.0, tip), 0.6, 2.0))(7.0)
    assert isinstance(numpy_mask, np.ndarray) and np.array_equal(numpy_mask, np.asarray(jax_mask))


def test_pack_roundtrip():
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = to_rgb(pack(rgb))
    assert out.dtype == jnp.uint8 and np.array_equal(np.asarray(out), rgb)


def test_compose_tiles_places_each_tile():
    atlas = np.stack([canvas.blank(2, 3, name) for name in ("red", "green", "blue")])
    ids = jnp.array([[0, 1], [2, 0]])
    board = np.asarray(canvas.compose_tiles(atlas, ids))
    assert board.shape == (4, 6)
    assert (board[:2, :3] == color("red")).all() and (board[:2, 3:] == color("green")).all()
    assert (board[2:, :3] == color("blue")).all() and (board[2:, 3:] == color("red")).all()


def test_stamp_static_and_traced_positions_agree():
    base = canvas.blank(6, 6, "background")
    mask = np.array([[True, False], [True, True]])
    static = canvas.stamp(base, 2, 3, [(mask, "red")])
    traced = jax.jit(lambda top: canvas.stamp(base, top, 3, [(mask, "red")]))(2)
    assert (static == color("red")).sum() == 3
    assert np.array_equal(static, np.asarray(traced))


@pytest.mark.parametrize(
    ("value", "width", "text"), [(-42, 4, " -42"), (7, 3, "  7"), (0, 2, " 0"), (1234, 3, "234")]
)
def test_number_glyphs(value, width, text):
    assert [font.CHARS[i] for i in font.number_glyphs(value, width)] == list(text)


def test_number_mask_matches_static_text():
    atlas = font.glyph_atlas(2)
    assert np.array_equal(np.asarray(font.number_mask(atlas, 305, 3)), font.text_mask("305", 2))


def test_text_rejects_unknown_glyphs():
    with pytest.raises(ValueError, match="no glyph"):
        font.text_mask("Q!", 1)


def test_layout_scales_logical_units():
    box = Layout(128).box(8, 16, 4, 32)
    assert (box.top, box.left, box.height, box.width) == (16, 32, 8, 64)
    grid = Layout(128).grid_for(78, 22, 2, 35, 60)
    assert grid.rows * grid.cols >= 78 and grid.box.bottom <= Layout(128).box(22, 2, 35, 60).bottom


def test_unknown_colour_lists_palette():
    with pytest.raises(KeyError, match="palette"):
        color("mauve")


def test_card_back_has_a_face_and_no_suit():
    back = tiles.card_back(24, 18)
    assert back[0, 0] == color("board") and back[1, 1] == color("card")
    assert back[12, 9] == color("cell")
    assert not np.isin(back, [color("red"), color("black")]).any()


def test_card_grid_places_slots_in_dealing_order():
    cards = CardGrid(Layout(64), 5, 4, 0, 0, 20, 60)  # one row of 5 is the largest cell
    assert (cards.grid.rows, cards.grid.cols) == (1, 5)
    ids = jnp.array([CardGrid.EMPTY, CardGrid.face(1), cards.back, CardGrid.face(3), 0])
    ids = ids.at[3].add(cards.cursor)
    frame = np.asarray(cards.draw(canvas.blank(64, 64, "background"), ids))
    cell, top, left = cards.grid.cell, cards.grid.top, cards.grid.left
    slots = [frame[top : top + cell, left + k * cell : left + (k + 1) * cell] for k in range(5)]
    assert np.array_equal(slots[0], cards.atlas[0]) and np.array_equal(slots[4], slots[0])
    assert np.array_equal(slots[1], tiles.card(1, cell, cell))
    assert np.array_equal(slots[2], tiles.card_back(cell, cell))
    assert slots[3][0, 0] == color("cursor") and not (slots[1] == color("cursor")).any()


def test_pawn_sprite_has_a_head_above_a_wider_base():
    mask = sprites.raster(sprites.pawn, 20)
    head_row, base_row = mask[6], mask[16]
    assert head_row[9] and head_row[10] and not head_row[:5].any()  # head centred, narrow
    assert base_row.sum() > head_row.sum() + 2 > 2
    assert not mask[0].any() and not mask[:, 0].any() and not mask[:, -1].any()


def test_with_sprite_appends_each_tile_with_the_sprite_painted_over():
    atlas = np.stack([canvas.blank(8, 8, name) for name in ("red", "green")])
    out = tiles.with_sprite(atlas, sprites.dot, "white")
    assert out.shape == (4, 8, 8) and np.array_equal(out[:2], atlas)
    painted = out[2:] == color("white")
    assert painted.any() and np.array_equal(painted[0], painted[1])
    assert np.array_equal(out[2][~painted[0]], atlas[0][~painted[0]])
    assert not painted[:, -1].any() and not painted[:, :, -1].any()  # the grid line is kept
