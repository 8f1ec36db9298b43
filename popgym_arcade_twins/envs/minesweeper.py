"""MineSweeper: memory of revealed numbers.

Rules: an N x N board hides M mines. A cursor moves with the arrows (clamped to the board); fire
reveals the cell under it, which then shows how many of its 8 neighbours are mines (no flood fill,
no flags). Revealing a mine ends the game.

MDP: every revealed cell shows its number. POMDP: only the cell under the cursor shows its number
(and whether it is revealed); every other cell looks covered. At t=0 nothing is revealed, so the
first frame is the same in both. To avoid repeats and infer mines the agent must remember which
cells it revealed and what they said.

Actions: up/down/left/right move the cursor, fire reveals.
Reward: +1/(N^2 - M) per new safe cell (all safe cells sum to 1); -1/(N^2/2) for revealing a
revealed cell again; a mine pays 0. Termination: a mine; every safe cell revealed; or the repeat
count reaching N^2/2, checked on the repeat that reaches it, so the return stays in [-1, 1].
Truncation: 2 N^2 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.core import FIRE, Game, Params
from popgym_arcade_twins.envs import board
from popgym_arcade_twins.render import Layout, sprites, tiles
from popgym_arcade_twins.render.board_view import CURSOR, BoardView


@dataclass(frozen=True)
class Config:
    board_size: int = 4
    num_mines: int = 2

    def __post_init__(self):
        if self.board_size < 2:
            raise ValueError(f"board_size must be at least 2, got {self.board_size}")
        if not 1 <= self.num_mines < self.board_size**2:
            raise ValueError(
                f"num_mines must be in 1..{self.board_size**2 - 1}, got {self.num_mines}"
            )


@struct.dataclass
class MineSweeperParams(Params):
    safe_reward: float = 1 / 14
    repeat_penalty: float = 1 / 8
    max_repeats: int = 8


@struct.dataclass
class State:
    mines: jax.Array  # bool[N, N]
    revealed: jax.Array  # bool[N, N]: cells fired on (a revealed mine ends the game)
    cursor: jax.Array  # int32[2]: (row, col)
    num_repeats: jax.Array  # int32
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"board_size": 4, "num_mines": 2},
    "Medium": {"board_size": 6, "num_mines": 6},
    "Hard": {"board_size": 8, "num_mines": 10},
}


def make_params(config: Config) -> MineSweeperParams:
    cells = config.board_size**2
    return MineSweeperParams(
        max_steps_in_episode=2 * cells,
        safe_reward=1 / (cells - config.num_mines),
        repeat_penalty=2 / cells,
        max_repeats=cells // 2,
    )


def reset(key: jax.Array, config: Config, params: MineSweeperParams) -> State:
    n = config.board_size
    mines = (jax.random.permutation(key, n * n) < config.num_mines).reshape(n, n)
    return State(
        mines=mines,
        revealed=jnp.zeros((n, n), bool),
        cursor=jnp.full((2,), n // 2, jnp.int32),
        num_repeats=jnp.zeros((), jnp.int32),
        time=jnp.zeros((), jnp.int32),
    )


def step(key, state: State, action, config: Config, params: MineSweeperParams):
    n = config.board_size
    row, col = state.cursor
    fire = action == FIRE
    is_repeat = fire & state.revealed[row, col]
    is_mine = fire & state.mines[row, col]
    is_new_safe = fire & ~is_repeat & ~is_mine
    revealed = state.revealed.at[row, col].set(state.revealed[row, col] | fire)
    num_repeats = state.num_repeats + is_repeat
    reward = is_new_safe * params.safe_reward - is_repeat * params.repeat_penalty
    cleared = jnp.sum(revealed & ~state.mines) == revealed.size - config.num_mines
    terminated = is_mine | cleared | (num_repeats >= params.max_repeats)
    state = state.replace(
        revealed=revealed, cursor=board.move(state.cursor, action, n, n), num_repeats=num_repeats
    )
    return state, reward, terminated


EXPERT_RETURN = {"Easy": 0.7, "Medium": 0.55, "Hard": 0.45}
"""The least mean return `expert` reaches per difficulty (measured 0.746 / 0.614 / 0.484: its
guesses sometimes hit a mine)."""


def expert(state: State, config: Config, params: MineSweeperParams) -> jax.Array:
    """Play from what the MDP frame shows (the revealed cells and their numbers, never the mines
    still covered), nearest cell first: reveal a cell that the numbers prove safe; with none,
    the covered cell least likely to hide a mine, by the worst ratio of mines left to covered
    cells around any number beside it (the board's mine density where no number touches it).
    Cells proven mines are never revealed; a guess can still hit one."""
    revealed = state.revealed
    covered = (~revealed).astype(jnp.int32)
    numbers = jnp.where(revealed, neighbour_counts(state.mines), 0)  # as drawn

    def prove_mines(mines, _):  # a number with as many covered cells left as mines left
        unknown = covered * (1 - mines)
        left, around = numbers - neighbour_sum(mines), neighbour_sum(unknown)
        full = revealed & (around > 0) & (left == around)
        return jnp.maximum(mines, unknown * (neighbour_sum(full.astype(jnp.int32)) > 0)), None

    mines = jax.lax.scan(prove_mines, jnp.zeros_like(covered), None, config.num_mines)[0]
    unknown = covered * (1 - mines)
    left, around = numbers - neighbour_sum(mines), neighbour_sum(unknown)
    proven_safe = neighbour_sum((revealed & (left == 0)).astype(jnp.int32)) > 0
    ratio = jnp.where(revealed, left / jnp.maximum(around, 1), 0.0)
    density = (config.num_mines - jnp.sum(mines)) / jnp.maximum(jnp.sum(unknown), 1)
    touches_number = neighbour_sum(revealed.astype(jnp.int32)) > 0
    risk = jnp.where(touches_number, _neighbour_max(ratio), density)
    risk = jnp.where(unknown > 0, jnp.where(proven_safe, 0.0, risk), jnp.inf)
    return board.step_towards(state.cursor, board.nearest(state.cursor, risk == jnp.min(risk)))


def neighbour_counts(mines: jax.Array) -> jax.Array:
    """int32[N, N]: mines among each cell's 8 neighbours."""
    return neighbour_sum(mines.astype(jnp.int32))


def neighbour_sum(cells: jax.Array) -> jax.Array:
    """[N, N]: the sum of each cell's 8 neighbours (cells off the board count 0)."""
    return jnp.sum(_neighbours(cells), axis=0)


def _neighbour_max(cells: jax.Array) -> jax.Array:
    """[N, N]: the largest of each cell's 8 neighbours (cells off the board count 0)."""
    return jnp.max(_neighbours(cells), axis=0)


def _neighbours(cells: jax.Array) -> jax.Array:
    """[8, N, N]: each cell's 8 neighbours, one shift of the zero-padded board per direction."""
    n = cells.shape[0]
    padded = jnp.pad(cells, 1)
    shifts = [(dy, dx) for dy in range(3) for dx in range(3) if (dy, dx) != (1, 1)]
    return jnp.stack([padded[dy : dy + n, dx : dx + n] for dy, dx in shifts])


DIGIT_COLORS = ("blue", "green", "red", "purple", "orange", "black", "black", "black")
COVERED, OPEN, MINE = 0, 1, 10  # tile ids: OPEN + count for a revealed safe cell


class Renderer:
    """The board fills the frame above the HUD; tiles carry the numbers and the cursor."""

    def __init__(self, config: Config, layout: Layout):
        self.view = BoardView(layout, config.board_size, config.board_size, cell_tiles, CURSOR)

    def _frame(self, state: State, shown: jax.Array) -> jax.Array:
        """The frame with the numbers of the revealed cells that are `shown`."""
        opened = jnp.where(state.mines, MINE, OPEN + neighbour_counts(state.mines))
        ids = jnp.where(shown & state.revealed, opened, COVERED)
        at_cursor = board.one_hot_cell(state.cursor, *state.mines.shape)
        return self.view.draw(ids, jnp.sum(state.revealed & ~state.mines), at_cursor)

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, jnp.bool_(True))

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, board.one_hot_cell(state.cursor, *state.mines.shape))


def cell_tiles(size: int) -> list:
    """Covered, open with 0..8 neighbouring mines, and a revealed mine (ids COVERED..MINE)."""
    digits = [tiles.digit(k, size, "cell_open", DIGIT_COLORS[k - 1]) for k in range(1, 9)]
    return [
        tiles.marker(None, size, "cell", "cell"),
        tiles.marker(None, size, "cell_open", "cell_open"),
        *digits,
        tiles.marker(sprites.mine, size, "red", "black"),
    ]


GAME = Game(
    name="MineSweeper",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
