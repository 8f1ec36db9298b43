"""Tetris: remember the stack.

Rules: a 20 x 10 well, the 7 tetrominoes in 4 rotations each, dealt by a 7-bag randomizer (every
run of 7 pieces, counted from the first, holds each piece once). The falling piece spawns at the
top and falls `fall_speed` cells per step (1; 2 in Hard); up rotates it clockwise, down soft-drops
it one extra cell, left/right move it, fire does nothing; a move or rotation that would overlap
the walls, the floor or the stack is refused (no wall kicks). A piece that rests on the stack or
the floor at the start of a step locks there on that step (so every locked position was on
screen), full rows clear, and the next piece spawns; a piece that cannot spawn tops out.
Rotation tables repeat for symmetric pieces (I, S and Z have 2 distinct states, O has 1), so the
drawn cells of the piece determine how it moves.

The frame shows the well's walls and floor, the falling piece, a preview of the next
`num_preview` pieces, and full-line markers: on the frame after a clear, the walls are marked at
the rows that were cleared (counted before the stack dropped). MDP: also the locked stack.
POMDP hides the stack. It can be rebuilt from memory, since every locked piece was seen at rest
just before it locked and the markers tell which rows then cleared; without it the agent cannot
tell where the next piece will land, which rows are nearly full, or how close it is to topping
out.

Actions: up rotate, down soft drop, left/right move, fire no-op.
Reward: +1/lines_to_win (0.1) per cleared line; lines past lines_to_win pay nothing. Topping out
pays -(1 + 0.1 x lines cleared so far), so the return of an episode that tops out is exactly -1
whatever was cleared before, a win's is 1, and every return lies in [-1, 1].
Termination: lines_to_win (10) lines cleared, or a top-out. Truncation: 3000 steps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from popgym_arcade_twins.core import DOWN, LEFT, RIGHT, UP, Game, Params
from popgym_arcade_twins.render import Layout, canvas, shapes, tiles
from popgym_arcade_twins.render.hud import Hud

ROWS, COLS = 20, 10
NUM_PIECES, BAG, QUEUE = 7, 7, 2 * 7  # the queue holds the rest of this bag and the next bag
# Clockwise rotations, rows of a 4 x 4 box; a piece with fewer than 4 listed repeats them.
_ROTATIONS = {
    "I": ("....|####", "..#.|..#.|..#.|..#."),
    "O": (".##.|.##.",),
    "T": (".#..|###.", ".#..|.##.|.#..", "....|###.|.#..", ".#..|##..|.#.."),
    "S": (".##.|##..", ".#..|.##.|..#."),
    "Z": ("##..|.##.", "..#.|.##.|.#.."),
    "J": ("#...|###.", ".##.|.#..|.#..", "....|###.|..#.", ".#..|.#..|##.."),
    "L": ("..#.|###.", ".#..|.#..|.##.", "....|###.|#...", "##..|.#..|.#.."),
}
PIECE_COLORS = ("cyan", "cursor", "purple", "green", "red", "blue", "orange")


def _cells(picture: str) -> list[tuple[int, int]]:
    rows = picture.split("|")
    return [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "#"]


CELLS = np.array(
    [[_cells(pics[k % len(pics)]) for k in range(4)] for pics in _ROTATIONS.values()], np.int32
)  # int32[piece, rotation, 4 cells, (row, col)] relative to the piece's anchor
SPAWN = np.stack([-CELLS[:, 0, :, 0].min(1), np.full(NUM_PIECES, 3)], 1).astype(np.int32)
"""int32[piece, (row, col)]: spawn anchors, putting the top of rotation 0 in row 0."""
BAG_ORDERS = np.array(list(itertools.permutations(range(BAG))), np.int8)
"""int8[5040, 7]: every order of a bag; drawing a row by index is a shuffle without a sort."""


@dataclass(frozen=True)
class Config:
    num_preview: int = 3
    fall_speed: int = 1
    lines_to_win: int = 10

    def __post_init__(self):
        if not 0 <= self.num_preview < BAG:
            raise ValueError(f"num_preview must be in 0..{BAG - 1}, got {self.num_preview}")
        if not 1 <= self.fall_speed <= ROWS:
            raise ValueError(f"fall_speed must be in 1..{ROWS}, got {self.fall_speed}")
        if self.lines_to_win < 1:
            raise ValueError(f"lines_to_win must be positive, got {self.lines_to_win}")


@struct.dataclass
class TetrisParams(Params):
    line_reward: float = 0.1


@struct.dataclass
class State:
    board: jax.Array  # int32[20, 10]: locked stack, 0 empty or 1 + piece type
    piece: jax.Array  # int32 in [0, 7): type of the falling piece (index of _ROTATIONS)
    rotation: jax.Array  # int32 in [0, 4)
    position: jax.Array  # int32[2]: (row, col) of the piece's anchor (top left of its box)
    queue: jax.Array  # int32[14]: the next pieces, in order; the first `queue_size` are valid
    queue_size: jax.Array  # int32 in [7, 13]
    lines: jax.Array  # int32: lines cleared so far, at most lines_to_win
    cleared: jax.Array  # bool[20]: rows cleared by the previous step (full-line markers)
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"num_preview": 3, "fall_speed": 1},
    "Medium": {"num_preview": 2, "fall_speed": 1},
    "Hard": {"num_preview": 1, "fall_speed": 2},
}


def make_params(config: Config) -> TetrisParams:
    return TetrisParams(max_steps_in_episode=3000, line_reward=1 / config.lines_to_win)


def piece_cells(piece, rotation, position) -> jax.Array:
    """int32[4, 2]: the (row, col) cells a piece covers."""
    return jnp.asarray(CELLS)[piece, rotation] + position


def collides(board: jax.Array, cells: jax.Array) -> jax.Array:
    """Whether any of `cells` is outside the well or on the stack (a gather of 4 cells)."""
    rows, cols = cells[:, 0], cells[:, 1]
    inside = (rows >= 0) & (rows < ROWS) & (cols >= 0) & (cols < COLS)
    stack = board[jnp.clip(rows, 0, ROWS - 1), jnp.clip(cols, 0, COLS - 1)] != 0
    return jnp.any(~inside | stack)


def clear_lines(board: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(board with full rows removed and the rows above dropped, bool[20] rows that were full).

    A stable sort moves the full rows to the top, keeping the others in order; they are emptied.
    """
    is_full = jnp.all(board != 0, axis=1)
    compacted = board[jnp.argsort(~is_full, stable=True)]
    is_removed = jnp.arange(ROWS)[:, None] < jnp.sum(is_full)
    return jnp.where(is_removed, 0, compacted), is_full


def _bags(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """int32[*shape, 7]: bags in random orders, each order's probability 1/5040 within 2^-32."""
    index = jax.random.bits(key, shape, jnp.uint32) % len(BAG_ORDERS)
    return jnp.asarray(BAG_ORDERS)[index].astype(jnp.int32)


def _pop(queue: jax.Array, size: jax.Array, key: jax.Array):
    """(queue less its first piece, size): a fresh bag is appended when fewer than 7 remain."""
    queue, size = jnp.roll(queue, -1), size - 1
    slot = jnp.arange(QUEUE) - size
    is_new = (size < BAG) & (slot >= 0) & (slot < BAG)
    bag = _bags(key, ())
    return jnp.where(is_new, bag[jnp.clip(slot, 0, BAG - 1)], queue), size + BAG * (size < BAG)


def reset(key: jax.Array, config: Config, params: TetrisParams) -> State:
    order = jnp.concatenate([_bags(key, (2,)).reshape(-1), jnp.zeros(1, jnp.int32)])
    return State(
        board=jnp.zeros((ROWS, COLS), jnp.int32),
        piece=order[0],
        rotation=jnp.zeros((), jnp.int32),
        position=jnp.asarray(SPAWN)[order[0]],
        queue=order[1:],
        queue_size=jnp.int32(2 * BAG - 1),
        lines=jnp.zeros((), jnp.int32),
        cleared=jnp.zeros(ROWS, bool),
        time=jnp.zeros((), jnp.int32),
    )


def _move(state: State, action, config: Config) -> State:
    """The piece after the action (if it fits) and gravity."""
    is_action = (jnp.arange(4) == action).astype(jnp.int32)
    shift = jnp.stack([is_action[DOWN], is_action[RIGHT] - is_action[LEFT]])
    rotation = (state.rotation + is_action[UP]) % 4
    fits = ~collides(state.board, piece_cells(state.piece, rotation, state.position + shift))
    rotation = jnp.where(fits, rotation, state.rotation)
    position = jnp.where(fits, state.position + shift, state.position)
    for _ in range(config.fall_speed):
        below = position + jnp.array([1, 0], jnp.int32)
        falls = ~collides(state.board, piece_cells(state.piece, rotation, below))
        position = jnp.where(falls, below, position)
    return state.replace(rotation=rotation, position=position, cleared=jnp.zeros(ROWS, bool))


def _lock(key, state: State, cells: jax.Array, config: Config, params: TetrisParams):
    """Lock the piece, clear lines, spawn the next piece: (state, reward, terminated)."""
    board = state.board.at[cells[:, 0], cells[:, 1]].set(state.piece + 1)
    board, cleared = clear_lines(board)
    lines = jnp.minimum(state.lines + jnp.sum(cleared, dtype=jnp.int32), config.lines_to_win)
    piece, queue, queue_size = state.queue[0], *_pop(state.queue, state.queue_size, key)
    position = jnp.asarray(SPAWN)[piece]
    has_won = lines >= config.lines_to_win
    topped_out = collides(board, piece_cells(piece, 0, position)) & ~has_won
    reward = (lines - state.lines) * params.line_reward - topped_out * (
        1 + lines * params.line_reward
    )
    state = state.replace(
        board=board, piece=piece, rotation=jnp.zeros((), jnp.int32), position=position,
        queue=queue, queue_size=queue_size, lines=lines, cleared=cleared,
    )  # fmt: skip
    return state, reward, has_won | topped_out


def step(key, state: State, action, config: Config, params: TetrisParams):
    cells = piece_cells(state.piece, state.rotation, state.position)
    is_resting = collides(state.board, cells + jnp.array([1, 0], jnp.int32))
    locked, reward, terminated = _lock(key, state, cells, config, params)
    moved = _move(state, action, config)
    state = jax.tree.map(lambda a, b: jnp.where(is_resting, a, b), locked, moved)
    return state, jnp.where(is_resting, reward, 0.0), is_resting & terminated


def _placement_score(board, cells):
    """Greedy heuristic value of locking `cells` on `board` (lines, holes, height, bumpiness)."""
    board, cleared = clear_lines(board.at[cells[:, 0], cells[:, 1]].set(1))
    filled = board != 0
    top = jnp.where(filled.any(0), jnp.argmax(filled, 0), ROWS)
    heights = ROWS - top
    holes = jnp.sum(~filled & (jnp.arange(ROWS)[:, None] > top))
    bumpiness = jnp.sum(jnp.abs(jnp.diff(heights)))
    return 0.76 * jnp.sum(cleared) - 0.51 * jnp.sum(heights) - 0.36 * holes - 0.18 * bumpiness


EXPERT_RETURN = {"Easy": 0.99, "Medium": 0.99, "Hard": 0.25}
"""The least mean return `expert` reaches per difficulty (measured 1.0 / 1.0 / 0.375)."""


def expert(state: State, config: Config, params: TetrisParams) -> jax.Array:
    """Greedy placement: rate every (rotation, column) dropped from the piece's row, steer to the
    best (rotate first, then move), then soft-drop."""
    rotations, cols = jnp.meshgrid(jnp.arange(4), jnp.arange(-3, COLS), indexing="ij")
    rotations, cols = rotations.reshape(-1), cols.reshape(-1)

    def value(rotation, col):
        anchors = jnp.stack([state.position[0] + jnp.arange(ROWS + 4), jnp.full(ROWS + 4, col)], 1)
        hits = jax.vmap(lambda a: collides(state.board, piece_cells(state.piece, rotation, a)))(
            anchors
        )
        landing = anchors[jnp.maximum(jnp.argmax(hits) - 1, 0)]
        score = _placement_score(state.board, piece_cells(state.piece, rotation, landing))
        cost = 0.01 * ((rotation - state.rotation) % 4 + jnp.abs(col - state.position[1]))
        return jnp.where(hits[0], -jnp.inf, score - cost)

    best = jnp.argmax(jax.vmap(value)(rotations, cols))
    col = cols[best]
    steer = jnp.where(
        col < state.position[1], LEFT, jnp.where(col > state.position[1], RIGHT, DOWN)
    )
    return jnp.where(rotations[best] != state.rotation, UP, steer)


EMPTY, LOCKED, FALLING = 0, 1, 1 + NUM_PIECES  # tile ids: LOCKED + piece, FALLING + piece
WALL, MARKER, BLANK = 1 + 2 * NUM_PIECES, 2 + 2 * NUM_PIECES, 3 + 2 * NUM_PIECES
PREVIEW_CELLS = CELLS[:, 0] - np.array([1, 0]) * CELLS[:, 0, :, :1].min(1, keepdims=True)


def _atlas(size: int) -> np.ndarray:
    grid = shapes.pixel_grid(size, size)
    inset = size // 4
    shine = shapes.rect(grid, inset, inset, max(size - 1 - inset, 1), max(size - 1 - inset, 1))
    marker = shapes.rect(grid, inset, 0, size - inset, size)
    locked = [tiles.marker(None, size, c, c) for c in PIECE_COLORS]
    falling = [canvas.paint(t, shine, "white") for t in locked]
    return np.stack(
        [canvas.blank(size, size, "grid"), *locked, *falling, canvas.blank(size, size, "cell"),
         canvas.paint(canvas.blank(size, size, "cell"), marker, "white"),
         canvas.blank(size, size, "background")]
    )  # fmt: skip


class Renderer:
    """The well (walls, floor, falling piece; MDP: the stack) left, the preview right."""

    def __init__(self, config: Config, layout: Layout):
        self.grid = layout.grid(1, 4, 56, 30, ROWS + 1, COLS + 2)
        self.atlas = _atlas(self.grid.cell)
        self.num_preview = config.num_preview
        self.preview_top = round(layout.px(10))
        self.preview_left = round(layout.px(40))
        self.hud = Hud(layout, label="LINES")
        frame = canvas.blank(layout.size, layout.size, "background")
        frame = canvas.text(
            frame, "NEXT", round(layout.px(2)), self.preview_left, layout.glyph_scale(5), "text"
        )
        self.background = self.hud.draw_static(frame)

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, state.board)

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, jnp.full_like(state.board, EMPTY))

    def _frame(self, state: State, stack: jax.Array) -> jax.Array:
        """Everything but the stack, drawn over `stack` (int32[20, 10] LOCKED ids or EMPTY)."""
        cells = piece_cells(state.piece, state.rotation, state.position)
        ids = jnp.where(_covers(cells, ROWS, COLS), FALLING + state.piece, stack)
        walls = jnp.where(state.cleared, MARKER, WALL)[:, None]
        ids = jnp.concatenate([walls, ids, walls], axis=1)
        ids = jnp.concatenate([ids, jnp.full((1, COLS + 2), WALL)], axis=0)
        board = canvas.compose_tiles(self.atlas, ids)
        frame = canvas.paste(self.background, board, self.grid.top, self.grid.left)
        if self.num_preview:
            frame = canvas.paste(frame, self._preview(state), self.preview_top, self.preview_left)
        return self.hud.draw(frame, state.lines)

    def _preview(self, state: State) -> jax.Array:
        """The next pieces, top to bottom, each in 2 rows with a blank row between."""
        ids = jnp.full((3 * self.num_preview - 1, 4), BLANK, jnp.int32)
        for slot in range(self.num_preview):
            piece = state.queue[slot]
            cells = jnp.asarray(PREVIEW_CELLS)[piece] + jnp.array([3 * slot, 0])
            ids = jnp.where(_covers(cells, *ids.shape), LOCKED + piece, ids)
        return canvas.compose_tiles(self.atlas, ids)


def _covers(cells: jax.Array, rows: int, cols: int) -> jax.Array:
    """bool[rows, cols]: true at each of the (row, col) `cells`."""
    at_row = jnp.arange(rows)[None, :, None] == cells[:, 0, None, None]
    at_col = jnp.arange(cols)[None, None, :] == cells[:, 1, None, None]
    return jnp.any(at_row & at_col, axis=0)


GAME = Game(
    name="Tetris",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
