"""BattleShip: memory of shots.

Rules: an N x N board hides four ships of lengths 2, 3, 3 and 4, each a straight horizontal or
vertical run of cells, placed without overlap. A cursor moves with the arrows (clamped to the
board); fire shoots the cell under it, which is a hit if a ship covers it and a miss otherwise.
Ships are never drawn: only shot markers (a red cross for a hit, a dot for a miss) and the cursor.

MDP: every cell shot so far shows its marker. POMDP: only the cell under the cursor shows its
marker (and whether it was shot); every other cell looks unshot. At t=0 nothing has been shot, so
the first frame is the same in both. To avoid wasting shots on cells already tried, and to follow
up a hit along the ship it belongs to, the agent must remember where it fired and what it found.

Actions: up/down/left/right move the cursor, fire shoots.
Reward: +1/12 per new hit (all ship cells sum to 1); 0 per miss; -1/(N^2/2) for shooting a cell
that was shot before. Termination: every ship cell hit; or the repeat count reaching N^2/2,
checked on the repeat that reaches it, so the penalties sum to at least -1 and the return stays in
[-1, 1]. Truncation: 2 N^2 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from popgym_arcade_twins.core import FIRE, Game, Params
from popgym_arcade_twins.envs import board
from popgym_arcade_twins.render import Layout, sprites, tiles
from popgym_arcade_twins.render.board_view import CURSOR, BoardView


@dataclass(frozen=True)
class Config:
    board_size: int = 8
    ship_lengths: tuple[int, ...] = (2, 3, 3, 4)

    def __post_init__(self):
        n, lengths = self.board_size, self.ship_lengths
        if not lengths or not all(1 <= length <= n for length in lengths):
            raise ValueError(f"ship_lengths must be in 1..{n} (board_size), got {lengths}")
        # Ships are placed longest first. A row left with no free run of L cells holds at least
        # ceil((n - L + 1) / L) ship cells, so while fewer cells than n times that are taken, some
        # row still fits the next ship: placement never runs out of room.
        placed = 0
        for length in sorted(lengths, reverse=True):
            if placed >= n * -(-(n - length + 1) // length):
                raise ValueError(
                    f"ships {lengths} may not fit on a {n}x{n} board; use a larger board_size"
                )
            placed += length


@struct.dataclass
class BattleShipParams(Params):
    hit_reward: float = 1 / 12
    repeat_penalty: float = 1 / 32
    max_repeats: int = 32


@struct.dataclass
class State:
    ships: jax.Array  # bool[N, N]: cells covered by a ship (never drawn)
    shots: jax.Array  # bool[N, N]: cells fired on
    cursor: jax.Array  # int32[2]: (row, col)
    num_repeats: jax.Array  # int32: shots at cells shot before
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"board_size": 8},
    "Medium": {"board_size": 10},
    "Hard": {"board_size": 12},
}


def make_params(config: Config) -> BattleShipParams:
    cells = config.board_size**2
    return BattleShipParams(
        max_steps_in_episode=2 * cells,
        hit_reward=1 / sum(config.ship_lengths),
        repeat_penalty=2 / cells,
        max_repeats=cells // 2,
    )


def _shifted(cells: jax.Array, offset: int, axis: int) -> jax.Array:
    """`cells` moved `offset` cells towards higher indices along `axis` (lower if negative),
    with False shifted in."""
    n = cells.shape[axis]
    pads = [(max(offset, 0), max(-offset, 0)) if a == axis else (0, 0) for a in range(cells.ndim)]
    start = max(-offset, 0)
    return jax.lax.slice_in_dim(jnp.pad(cells, pads), start, start + n, axis=axis)


def _run_fits(free: jax.Array, length: jax.Array, longest: int, axis: int) -> jax.Array:
    """bool[n, n]: whether the `length` cells from each cell along `axis` are on the board and
    free (`length` is traced, at most `longest`)."""
    ahead = [_shifted(free, -i, axis) | (i >= length) for i in range(longest)]
    return jnp.all(jnp.stack(ahead), axis=0)


def _run_cells(first: jax.Array, length: jax.Array, longest: int, axis: int) -> jax.Array:
    """bool[n, n]: the cells of runs of `length` cells along `axis` starting at `first`."""
    behind = [_shifted(first, i, axis) & (i < length) for i in range(longest)]
    return jnp.any(jnp.stack(behind), axis=0)


def place_ships(bits: jax.Array, n: int, lengths: tuple[int, ...]) -> jax.Array:
    """int32[n, n]: 0 for water, k for a cell of the k-th ship placed (longest first).

    Each ship is uniform among the runs still free: every horizontal and vertical placement is
    enumerated as a bool[2, n, n] map of the runs that fit (by orientation and first cell), and one
    is drawn with one entry of `bits` (uint32[len(lengths)]). No rejection loop; `Config`
    guarantees that a run always fits. A scan over the ships, so one ship's code is compiled.
    """
    placements = np.arange(2 * n * n).reshape(2, n, n)
    longest = max(lengths)

    def place(ships, ship):
        k, length, ship_bits = ship
        fits = jnp.stack([_run_fits(ships == 0, length, longest, axis) for axis in (1, 0)])
        first = placements == board.sample_true(ship_bits, fits)
        cells = _run_cells(first[0], length, longest, 1) | _run_cells(first[1], length, longest, 0)
        return jnp.where(cells, k, ships), None

    ships = (
        jnp.arange(1, len(lengths) + 1, dtype=jnp.int32),
        jnp.array(sorted(lengths, reverse=True), jnp.int32),
        bits,
    )
    return jax.lax.scan(place, jnp.zeros((n, n), jnp.int32), ships)[0]


def reset(key: jax.Array, config: Config, params: BattleShipParams) -> State:
    n, num_ships = config.board_size, len(config.ship_lengths)
    bits = board.random_bits(key, num_ships + 2)
    return State(
        ships=place_ships(bits[:num_ships], n, config.ship_lengths) > 0,
        shots=jnp.zeros((n, n), bool),
        cursor=(bits[num_ships:] % n).astype(jnp.int32),
        num_repeats=jnp.zeros((), jnp.int32),
        time=jnp.zeros((), jnp.int32),
    )


def cursor_was_shot(state: State) -> jax.Array:
    """bool: the cell under the cursor has been shot (the one marker the POMDP draws)."""
    return state.shots[state.cursor[0], state.cursor[1]]


def step(key, state: State, action, config: Config, params: BattleShipParams):
    n = config.board_size
    row, col = state.cursor
    fire = action == FIRE
    is_repeat = fire & cursor_was_shot(state)
    is_hit = fire & ~is_repeat & state.ships[row, col]
    shots = state.shots.at[row, col].set(state.shots[row, col] | fire)
    num_repeats = state.num_repeats + is_repeat
    reward = is_hit * params.hit_reward - is_repeat * params.repeat_penalty
    all_sunk = ~jnp.any(state.ships & ~shots)
    terminated = all_sunk | (num_repeats >= params.max_repeats)
    state = state.replace(
        shots=shots, cursor=board.move(state.cursor, action, n, n), num_repeats=num_repeats
    )
    return state, reward, terminated


EXPERT_RETURN = {"Easy": 0.95, "Medium": 0.99, "Hard": 0.99}
"""The least mean return `expert` reaches per difficulty (measured 0.992 / 1.0 / 1.0: on Easy
the time limit sometimes ends a search with a ship cell left)."""


def expert(state: State, config: Config, params: BattleShipParams) -> jax.Array:
    """Play from what the MDP frame shows (the shots and which of them hit, never the ships
    still hidden), nearest target first: fire beyond two hits in a row, else next to a hit, else
    on a diagonal lattice that every ship crosses (cells with row + col a multiple of the
    shortest ship's length), else anywhere unshot."""
    n = config.board_size
    unshot = ~state.shots
    hits = state.shots & state.ships  # the crosses drawn on the board
    towards = [(offset, axis) for offset in (1, -1) for axis in (0, 1)]
    beside = lambda cells, d: _shifted(cells, -d[0], d[1])  # true where cells holds the next cell
    in_line = jnp.any(
        jnp.stack([beside(hits, d) & beside(beside(hits, d), d) for d in towards]), axis=0
    )
    next_to_hit = jnp.any(jnp.stack([beside(hits, d) for d in towards]), axis=0)
    row, col = np.indices((n, n))
    lattice = jnp.asarray((row + col) % min(config.ship_lengths) == 0)
    targets = unshot
    for preferred in (lattice, next_to_hit, in_line):  # the last that holds a target wins
        targets = jnp.where(jnp.any(unshot & preferred), unshot & preferred, targets)
    return board.step_towards(state.cursor, board.nearest(state.cursor, targets))


WATER, MISS, HIT = 0, 1, 2  # tile ids; + len(plain tiles) draws the cursor on the cell


class Renderer:
    """The board fills the frame above the HUD; tiles carry the shot markers and the cursor."""

    def __init__(self, config: Config, layout: Layout):
        self.view = BoardView(
            layout, config.board_size, config.board_size, cell_tiles, CURSOR, hud_label="HITS"
        )

    def _frame(self, state: State, shown: jax.Array) -> jax.Array:
        """The frame with the markers of the shot cells that are `shown`."""
        ids = jnp.where(shown & state.shots, jnp.where(state.ships, HIT, MISS), WATER)
        at_cursor = board.one_hot_cell(state.cursor, *state.ships.shape)
        return self.view.draw(ids, jnp.sum(state.shots & state.ships), at_cursor)

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, jnp.bool_(True))

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, board.one_hot_cell(state.cursor, *state.ships.shape))


def cell_tiles(size: int) -> list:
    """Water, a miss and a hit (ids WATER, MISS, HIT)."""
    return [
        tiles.marker(None, size, "cell", "cell"),
        tiles.marker(sprites.dot, size, "cell", "white"),
        tiles.marker(sprites.cross, size, "cell", "red"),
    ]


GAME = Game(
    name="BattleShip",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
