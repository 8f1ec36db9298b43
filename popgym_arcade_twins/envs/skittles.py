"""Skittles: remember unseen enemies.

Rules: a 10 x 10 grid scrolls down one row per step. Enemies fall only in the spawn lane, the
`lane_width` columns from `lane_offset`; the columns outside it are walls. Each step the agent,
who lives in the lane's cells of the bottom row, moves left/right (clamped to the lane), then every
row moves down one, the bottom row leaves the board and a new top row enters holding one enemy in
a uniformly drawn lane column. The agent dies when it shares a cell with an enemy: when an enemy
reaches its cell, or when it steps onto an enemy in the bottom row. The board starts empty.

MDP: every enemy. POMDP: each enemy cell is shown with probability 0.5, drawn afresh each step (the
agent and the walls always; at t=0 everything). Enemies fall one row per step, so an enemy seen
once is known until it lands: dodging the row about to land needs the memory of every sighting of
it over the previous steps. The visibility mask is drawn by `step` from its key into the state, so
twins given the same keys show the same cells.

Actions: left/right move the agent; up/down/fire no-op.
Reward: 1/100 per step survived (the step that kills pays 0), so surviving to the time limit
returns 1. Termination: the agent dies. Truncation: 100 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from popgym_arcade_twins.core import LEFT, RIGHT, Game, Params
from popgym_arcade_twins.render import Layout, shapes, tiles
from popgym_arcade_twins.render.board_view import BoardView

ENEMY_COLORS = ("red", "orange", "cursor", "green", "purple")  # by spawn step, cycling


@dataclass(frozen=True)
class Config:
    rows: int = 10
    cols: int = 10
    lane_width: int = 8
    lane_offset: int = 1

    def __post_init__(self):
        if self.rows < 2:
            raise ValueError(f"rows must be at least 2, got {self.rows}")
        if not (self.lane_width >= 2 and 0 <= self.lane_offset <= self.cols - self.lane_width):
            raise ValueError(
                f"the spawn lane (width {self.lane_width} >= 2 from column {self.lane_offset}) "
                f"must lie within the {self.cols} columns"
            )

    @property
    def lane_end(self) -> int:
        """One past the lane's last column."""
        return self.lane_offset + self.lane_width


@struct.dataclass
class SkittlesParams(Params):
    survival_reward: float = 1 / 100
    reveal_probability: float = 0.5  # chance that the POMDP shows an enemy cell at a step


@struct.dataclass
class State:
    enemies: jax.Array  # bool[rows, cols]: enemy cells; row 0 is the top (newest) row
    agent: jax.Array  # int32: the agent's column, in the lane, in the bottom row
    shown: jax.Array  # bool[rows, cols]: cells the POMDP shows this step (all at reset)
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"lane_width": 8, "lane_offset": 1},
    "Medium": {"lane_width": 7, "lane_offset": 2},
    "Hard": {"lane_width": 6, "lane_offset": 2},
}


def make_params(config: Config) -> SkittlesParams:
    return SkittlesParams(max_steps_in_episode=100, survival_reward=1 / 100)


def reset(key: jax.Array, config: Config, params: SkittlesParams) -> State:
    shape = (config.rows, config.cols)
    return State(
        enemies=jnp.zeros(shape, bool),
        agent=jax.random.randint(key, (), config.lane_offset, config.lane_end, jnp.int32),
        shown=jnp.ones(shape, bool),
        time=jnp.zeros((), jnp.int32),
    )


def step(key, state: State, action, config: Config, params: SkittlesParams):
    key_spawn, key_shown = jax.random.split(key)
    move = jnp.int32(action == RIGHT) - jnp.int32(action == LEFT)
    agent = jnp.clip(state.agent + move, config.lane_offset, config.lane_end - 1)
    steps_onto_enemy = state.enemies[-1, agent]
    spawn = jax.random.randint(key_spawn, (), config.lane_offset, config.lane_end)
    new_row = jnp.arange(config.cols) == spawn
    enemies = jnp.concatenate([new_row[None], state.enemies[:-1]])
    dies = steps_onto_enemy | enemies[-1, agent]
    shown = jax.random.bernoulli(key_shown, params.reveal_probability, enemies.shape)
    state = state.replace(enemies=enemies, agent=agent.astype(jnp.int32), shown=shown)
    return state, jnp.where(dies, 0.0, params.survival_reward), dies


EXPERT_RETURN = {"Easy": 0.99, "Medium": 0.99, "Hard": 0.9}
"""The least mean return `expert` reaches per difficulty (measured 1.0 / 1.0 / 0.957)."""


def expert(state: State, config: Config, params: SkittlesParams) -> jax.Array:
    """Plan over the rows on the board: move (preferring to stay) to a column from which some
    sequence of moves survives every enemy already visible."""
    lane = np.zeros(config.cols, bool)
    lane[config.lane_offset : config.lane_end] = True
    survives = jnp.asarray(lane)  # beyond the rows on the board, any lane column will do
    for k in range(config.rows - 1, 0, -1):  # at step k the rows now at rows-k, rows-1-k pass
        safe = jnp.asarray(lane) & ~state.enemies[config.rows - k] & ~state.enemies[-1 - k]
        padded = jnp.pad(survives, 1)
        survives = safe & (padded[:-2] | survives | padded[2:])
    moves = jnp.array([0, LEFT, RIGHT])
    targets = jnp.clip(state.agent + jnp.array([0, -1, 1]), config.lane_offset, config.lane_end - 1)
    return moves[jnp.argmax(survives[targets])]


# Tile ids: EMPTY lane cell, WALL outside the lane, AGENT, ENEMY + colour.
EMPTY, WALL, AGENT, ENEMY = 0, 1, 2, 3


class Renderer:
    """The board fills the frame above the HUD (which counts steps survived)."""

    def __init__(self, config: Config, layout: Layout):
        self.config = config
        self.view = BoardView(layout, config.rows, config.cols, cell_tiles, hud_label="STEP")
        lane = np.zeros(config.cols, bool)
        lane[config.lane_offset : config.lane_end] = True
        self.base = np.broadcast_to(np.where(lane, EMPTY, WALL), (config.rows, config.cols))

    def _frame(self, state: State, shown: jax.Array) -> jax.Array:
        """The board with the enemies in `shown` cells."""
        rows = jnp.arange(self.config.rows)[:, None]
        colour = (state.time - rows) % len(ENEMY_COLORS)  # each row keeps its spawn colour
        cols = jnp.arange(self.config.cols)[None, :]
        at_agent = (rows == self.config.rows - 1) & (cols == state.agent)
        ids = jnp.where(at_agent, AGENT, self.base)
        ids = jnp.where(state.enemies & shown, ENEMY + colour, ids)
        return self.view.draw(ids, state.time)

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, jnp.ones_like(state.enemies))

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, state.shown)


def cell_tiles(size: int) -> list:
    """Lane, wall, the agent, and an enemy per colour (ids EMPTY, WALL, AGENT, ENEMY + colour)."""
    return [
        tiles.marker(None, size, "board", "board"),
        tiles.marker(None, size, "cell", "cell"),
        tiles.marker(_agent, size, "board", "white"),
        *(tiles.marker(_enemy, size, "board", fill) for fill in ENEMY_COLORS),
    ]


def _agent(g):
    return shapes.polygon(g, [(0.15, 0.5), (0.85, 0.85), (0.85, 0.15)])


def _enemy(g):
    return shapes.disk(g, (0.5, 0.5), 0.38)


GAME = Game(
    name="Skittles",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
