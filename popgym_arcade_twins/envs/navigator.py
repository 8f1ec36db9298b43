"""Navigator: memorize a map.

Rules: an N x N grid holds 7 TNT cells and one treasure. The agent moves one cell per arrow
(clamped to the grid) and fires to dig. Stepping onto TNT blows it up; digging while standing on
the treasure finds it; digging anywhere else does nothing. TNT, treasure and the agent's start are
drawn from the reset key: the start and the treasure are distinct cells off the TNT, and the
treasure can be reached from the start without crossing TNT.

MDP: TNT, treasure and agent are drawn every step. POMDP: the whole board is drawn at t=0, then
only the agent and the empty grid, so the agent must remember where the treasure and the TNT are
(and where it is relative to them) to walk a safe, short path and dig at the right cell.

Actions: up/down/left/right move the agent, fire digs.
Reward: -0.5/N^2 per step that does not end the episode; stepping onto TNT -0.5 (and nothing
else) and terminates; digging the treasure +1 (and nothing else) and terminates. The best return is
1 - 0.5 d/N^2 for a shortest safe path of d steps; the worst is N^2 - 1 steps of -0.5/N^2 followed
by TNT on the last step, -1 + 0.5/N^2; so every return lies in [-1, 1].
Truncation: N^2 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from popgym_arcade_twins.core import FIRE, NUM_ACTIONS, Game, Params
from popgym_arcade_twins.envs import board
from popgym_arcade_twins.render import Layout, sprites, tiles
from popgym_arcade_twins.render.board_view import BoardView


@dataclass(frozen=True)
class Config:
    board_size: int = 8
    num_tnt: int = 7

    def __post_init__(self):
        if not 2 <= self.board_size <= 32:  # `reachable` packs rows into uint32
            raise ValueError(f"board_size must be in 2..32, got {self.board_size}")
        # Fewer TNT than half the cells leaves two adjacent free cells (a domino tiling argument),
        # so a treasure and a distinct start connected to it always exist.
        if not 0 <= self.num_tnt < self.board_size**2 // 2:
            raise ValueError(
                f"num_tnt must be in 0..{self.board_size**2 // 2 - 1}, got {self.num_tnt}"
            )


@struct.dataclass
class NavigatorParams(Params):
    step_penalty: float = 0.5 / 64
    tnt_penalty: float = 0.5
    treasure_reward: float = 1.0


@struct.dataclass
class State:
    tnt: jax.Array  # bool[N, N]: TNT cells
    treasure: jax.Array  # int32[2]: (row, col) of the treasure
    agent: jax.Array  # int32[2]: (row, col) of the agent
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"board_size": 8},
    "Medium": {"board_size": 10},
    "Hard": {"board_size": 12},
}


def make_params(config: Config) -> NavigatorParams:
    cells = config.board_size**2
    return NavigatorParams(max_steps_in_episode=cells, step_penalty=0.5 / cells)


def _neighbours(grid: jax.Array, fill) -> list[jax.Array]:
    """The values of each cell's four neighbours (up, down, left, right), `fill` off the board."""
    padded = jnp.pad(grid, 1, constant_values=fill)
    return [padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]


def distances(free: jax.Array, target: jax.Array) -> jax.Array:
    """int32[N, N]: fewest steps from each cell to `target` through `free` cells; N^2 if none.

    Breadth-first relaxation that stops when nothing changes: one layer per iteration, so at most
    N^2 iterations, typically about 2 N.
    """
    n = free.shape[0]
    far = n * n
    start = jnp.where(board.one_hot_cell(target, n, n), 0, far).astype(jnp.int32)

    def relax(carry):
        dist, _, i = carry
        nearest = jnp.minimum(dist, jnp.min(jnp.stack(_neighbours(dist, far)), axis=0) + 1)
        new = jnp.where(free, nearest, far)
        return new, jnp.any(new != dist), i + 1

    dist, _, _ = jax.lax.while_loop(
        lambda carry: carry[1] & (carry[2] < far), relax, (start, jnp.bool_(True), 0)
    )
    return dist


def reachable(free: jax.Array, seed: jax.Array) -> jax.Array:
    """bool[N, N]: the free cells connected to the free cell `seed` through free cells.

    Breadth-first growth on bitboard rows (bit c of row r is cell (r, c)), one layer per
    iteration until nothing changes: at most N^2 iterations, typically about 2 N.
    """
    n = free.shape[0]
    powers = jnp.uint32(1) << jnp.arange(n, dtype=jnp.uint32)
    free_rows = jnp.sum(jnp.where(free, powers, 0), axis=1, dtype=jnp.uint32)

    def grow(carry):
        rows, _, i = carry
        below, above = jnp.pad(rows[:-1], (1, 0)), jnp.pad(rows[1:], (0, 1))
        new = (rows | (rows << 1) | (rows >> 1) | below | above) & free_rows
        return new, jnp.any(new != rows), i + 1

    start = jnp.where(jnp.arange(n) == seed[0], powers[seed[1]], jnp.uint32(0)) & free_rows
    rows, _, _ = jax.lax.while_loop(
        lambda carry: carry[1] & (carry[2] < n * n), grow, (start, jnp.bool_(True), 0)
    )
    return (rows[:, None] & powers) > 0


def reset(key: jax.Array, config: Config, params: NavigatorParams) -> State:
    n = config.board_size
    bits = board.random_bits(key, config.num_tnt + 2)
    tnt_cells = board.sample_distinct(bits[: config.num_tnt], n * n)
    tnt = jnp.any(np.arange(n * n).reshape(n, n, 1) == tnt_cells, axis=-1)
    free = ~tnt
    has_free_neighbour = jnp.any(jnp.stack(_neighbours(free, False)), axis=0)
    treasure = board.cell_of(board.sample_true(bits[-2], free & has_free_neighbour), n)
    around_treasure = reachable(free, treasure) & ~board.one_hot_cell(treasure, n, n)
    agent = board.cell_of(board.sample_true(bits[-1], around_treasure), n)
    return State(tnt=tnt, treasure=treasure, agent=agent, time=jnp.zeros((), jnp.int32))


def step(key, state: State, action, config: Config, params: NavigatorParams):
    n = config.board_size
    agent = board.move(state.agent, action, n, n)
    is_blown_up = state.tnt[agent[0], agent[1]]
    is_found = (action == FIRE) & jnp.all(state.agent == state.treasure)
    reward = jnp.where(
        is_blown_up,
        -params.tnt_penalty,
        jnp.where(is_found, params.treasure_reward, -params.step_penalty),
    )
    return state.replace(agent=agent), reward, is_blown_up | is_found


EXPERT_RETURN = {"Easy": 0.93, "Medium": 0.94, "Hard": 0.95}
"""The least mean return `expert` reaches per difficulty (measured 0.956 / 0.963 / 0.971,
less than 1 by the step penalty of a shortest path)."""


def expert(state: State, config: Config, params: NavigatorParams) -> jax.Array:
    """Walk a shortest path around the TNT to the treasure, then dig (the best return)."""
    n = config.board_size
    dist = distances(~state.tnt, state.treasure)
    after = jnp.stack([board.move(state.agent, a, n, n) for a in range(NUM_ACTIONS - 1)])
    best_move = jnp.argmin(dist[after[:, 0], after[:, 1]])
    return jnp.where(jnp.all(state.agent == state.treasure), FIRE, best_move)


EMPTY, TNT, TREASURE = 0, 1, 2  # tile ids; + len(plain tiles) draws the agent on the cell


class Renderer:
    """The grid fills the frame above the HUD; tiles carry TNT, treasure and the agent."""

    def __init__(self, config: Config, layout: Layout):
        n = config.board_size
        self.view = BoardView(layout, n, n, cell_tiles, (sprites.pawn, "white"), hud_label="STEP")

    def _frame(self, state: State, is_map_shown: jax.Array) -> jax.Array:
        """The grid with the agent, and TNT and treasure where `is_map_shown`."""
        n = state.tnt.shape[0]
        at_treasure = board.one_hot_cell(state.treasure, n, n)
        board_map = jnp.where(at_treasure, TREASURE, jnp.where(state.tnt, TNT, EMPTY))
        ids = jnp.where(is_map_shown, board_map, EMPTY)
        return self.view.draw(ids, state.time, board.one_hot_cell(state.agent, n, n))

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, jnp.bool_(True))

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, state.time == 0)


def cell_tiles(size: int) -> list:
    """An empty cell, TNT and the treasure (ids EMPTY, TNT, TREASURE)."""
    return [
        tiles.marker(None, size, "cell", "cell"),
        tiles.marker(sprites.mine, size, "cell", "red"),
        tiles.marker(sprites.diamond, size, "cell", "cursor"),
    ]


GAME = Game(
    name="Navigator",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
