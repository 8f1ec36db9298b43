"""Breakout: velocity from history.

Rules (MinAtar's Breakout on a wider board): a grid of 10 rows x 20 columns. Rows 1-6 hold bricks
(row 0 stays empty so the ball can run above them), the paddle lies in the bottom row, and the ball
moves one cell diagonally per step. The paddle moves one cell per step with left/right, clamped to
the board. The ball reflects off the side walls and the ceiling; a brick it runs into breaks and
sends it back vertically; a ball about to enter the bottom row bounces up if its column was under
the paddle, and bounces straight back (both directions reversed) if only its new column is; else
it is lost. The ball starts just below the bricks, above a random cell of the centred paddle,
moving up-left or up-right.

MDP: bricks, paddle, ball, and a trail dot one diagonal step behind the ball along its direction
(its previous position in free flight; after a bounce it shows the new direction, so the frame is
Markov). Side walls and ceiling are drawn as a one-cell border so the trail always has a cell.
POMDP: never draws the trail, and hides the ball while it moves down. One frame shows neither the
ball's direction nor, on the way down, where it is: the agent must infer the direction from two
frames, remember where the ball disappeared (at a broken brick or the top of its flight) and
integrate its motion to meet it with the paddle.

Actions: left/right move the paddle; up/down/fire no-op.
Reward: a brick in row r (1 = top) pays (7 - r) / 420, so higher rows pay more and all 120 bricks
sum to 1; losing the ball pays -(bricks left) / 120 and terminates, so the return, the value of
the bricks hit plus the penalty, stays in [-1, 1]. Clearing every brick terminates (return 1).
Truncation: 2000 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from popgym_arcade_twins.core import LEFT, RIGHT, Game, Params
from popgym_arcade_twins.envs import board
from popgym_arcade_twins.render import Layout, canvas, shapes
from popgym_arcade_twins.render.hud import Hud

BRICK_COLORS = ("red", "orange", "cursor", "green", "blue", "purple")


@dataclass(frozen=True)
class Config:
    rows: int = 10
    cols: int = 20
    brick_rows: int = 6  # rows 1..brick_rows hold bricks
    paddle_width: int = 6

    def __post_init__(self):
        if not 1 <= self.brick_rows <= self.rows - 4:
            raise ValueError(
                f"brick_rows must be in 1..rows - 4 = {self.rows - 4} (an empty row above the "
                f"bricks, two below them and the paddle row), got {self.brick_rows}"
            )
        if not 1 <= self.paddle_width <= self.cols - 2:
            raise ValueError(
                f"paddle_width must be in 1..cols - 2 = {self.cols - 2}, got {self.paddle_width}"
            )

    @property
    def num_bricks(self) -> int:
        return self.brick_rows * self.cols

    @property
    def row_points(self) -> np.ndarray:
        """int32[rows]: points of a brick in each row (brick_rows for the top brick row ... 1)."""
        points = np.zeros(self.rows, np.int32)
        points[1 : self.brick_rows + 1] = np.arange(self.brick_rows, 0, -1)
        return points


@struct.dataclass
class BreakoutParams(Params):
    point_reward: float = 1 / 420  # reward per brick point; all bricks together pay 1
    loss_penalty: float = 1 / 120  # per brick left when the ball is lost


@struct.dataclass
class State:
    bricks: jax.Array  # bool[rows, cols]: bricks still standing
    ball: jax.Array  # int32[2]: (row, col) of the ball
    direction: jax.Array  # int32[2]: (d_row, d_col), each -1 or +1
    paddle: jax.Array  # int32: column of the paddle's leftmost cell
    score: jax.Array  # int32: points of the bricks broken so far
    time: jax.Array  # int32


PRESETS = {
    "Easy": {"paddle_width": 6},
    "Medium": {"paddle_width": 5},
    "Hard": {"paddle_width": 4},
}


def make_params(config: Config) -> BreakoutParams:
    return BreakoutParams(
        max_steps_in_episode=2000,
        point_reward=1 / int(config.row_points.sum()) / config.cols,
        loss_penalty=1 / config.num_bricks,
    )


def reset(key: jax.Array, config: Config, params: BreakoutParams) -> State:
    key_col, key_dir = jax.random.split(key)
    paddle = (config.cols - config.paddle_width) // 2
    col = paddle + jax.random.randint(key_col, (), 0, config.paddle_width)
    d_col = jnp.where(jax.random.bernoulli(key_dir), 1, -1)
    rows = jnp.arange(config.rows)[:, None]
    return State(
        bricks=jnp.broadcast_to(
            (rows >= 1) & (rows <= config.brick_rows), (config.rows, config.cols)
        ),
        ball=jnp.stack([jnp.int32(config.rows - 3), col]).astype(jnp.int32),
        direction=jnp.stack([jnp.int32(-1), d_col]).astype(jnp.int32),
        paddle=jnp.int32(paddle),
        score=jnp.zeros((), jnp.int32),
        time=jnp.zeros((), jnp.int32),
    )


def step(key, state: State, action, config: Config, params: BreakoutParams):
    width, bottom = config.paddle_width, config.rows - 1
    paddle = jnp.clip(
        state.paddle + (action == RIGHT) - (action == LEFT), 0, config.cols - width
    ).astype(jnp.int32)
    (row, col), (d_row, d_col) = state.ball, state.direction
    new_col = col + d_col
    hits_side = (new_col < 0) | (new_col >= config.cols)
    new_col = jnp.clip(new_col, 0, config.cols - 1)
    d_col = jnp.where(hits_side, -d_col, d_col)
    new_row = row + d_row
    hits_top = new_row < 0
    new_row = jnp.maximum(new_row, 0)
    hits_brick = ~hits_top & state.bricks[new_row, new_col]
    bricks = state.bricks.at[new_row, new_col].set(state.bricks[new_row, new_col] & ~hits_brick)
    points = hits_brick * jnp.asarray(config.row_points)[new_row]
    at_bottom = ~hits_top & ~hits_brick & (new_row >= bottom)
    under = lambda c: (c >= paddle) & (c < paddle + width)
    bounces = at_bottom & under(col)
    bounces_back = at_bottom & ~bounces & under(new_col)
    is_lost = at_bottom & ~bounces & ~bounces_back
    reflects = hits_top | hits_brick | bounces | bounces_back
    d_row = jnp.where(reflects, -d_row, d_row)
    d_col = jnp.where(bounces_back, -d_col, d_col)
    new_row = jnp.where(hits_brick | bounces | bounces_back, row, new_row)
    bricks_left = jnp.sum(bricks, dtype=jnp.int32)
    reward = points * params.point_reward - is_lost * bricks_left * params.loss_penalty
    state = state.replace(
        bricks=bricks,
        ball=jnp.stack([new_row, new_col]).astype(jnp.int32),
        direction=jnp.stack([d_row, d_col]).astype(jnp.int32),
        paddle=paddle,
        score=state.score + points,
    )
    return state, reward, is_lost | (bricks_left == 0)


EXPERT_RETURN = {"Easy": 0.99, "Medium": 0.99, "Hard": 0.99}
"""The least mean return `expert` reaches per difficulty (measured 1.0 on each)."""


def expert(state: State, config: Config, params: BreakoutParams) -> jax.Array:
    """Keep the paddle's centre under the column the ball moves to next."""
    target = jnp.clip(state.ball[1] + state.direction[1], 0, config.cols - 1)
    centre = state.paddle + (config.paddle_width - 1) // 2
    return jnp.where(target < centre, LEFT, jnp.where(target > centre, RIGHT, 0))


# Tile ids of the bordered board; id + NUM_PLAIN draws the same tile with the trail dot on it.
EMPTY, WALL, PADDLE, BRICK = 0, 1, 2, 3
NUM_PLAIN = BRICK + len(BRICK_COLORS)
BALL = 2 * NUM_PLAIN


class Renderer:
    """The board inside a one-cell wall border (ceiling and sides) fills the frame's width."""

    def __init__(self, config: Config, layout: Layout):
        self.config = config
        self.grid = layout.grid(2, 1, 55, 62, config.rows + 1, config.cols + 2)
        self.tiles = _atlas(self.grid.cell)
        base = np.full((config.rows + 1, config.cols + 2), EMPTY, np.int32)
        base[0, :] = base[:, 0] = base[:, -1] = WALL
        self.base = base
        brick_ids = BRICK + (np.arange(config.rows + 1) - 2) % len(BRICK_COLORS)
        self.brick_ids = np.broadcast_to(brick_ids[:, None], base.shape).astype(np.int32)
        self.hud = Hud(layout)
        self.background = self.hud.draw_static(canvas.blank(layout.size, layout.size, "background"))

    def _ids(self, state: State) -> jax.Array:
        """int32[rows + 1, cols + 2] tile ids of walls, bricks and paddle."""
        bricks = jnp.pad(state.bricks, ((1, 0), (1, 1)))
        ids = jnp.where(bricks, self.brick_ids, self.base)
        cols = jnp.arange(self.config.cols + 2) - 1
        is_paddle = (cols >= state.paddle) & (cols < state.paddle + self.config.paddle_width)
        return ids.at[-1].set(jnp.where(is_paddle, PADDLE, ids[-1]))

    def _at(self, position: jax.Array) -> jax.Array:
        return board.one_hot_cell(position + 1, self.grid.rows, self.grid.cols)

    def _frame(self, state: State, ids: jax.Array) -> jax.Array:
        pixels = canvas.compose_tiles(self.tiles, ids)
        frame = canvas.paste(self.background, pixels, self.grid.top, self.grid.left)
        return self.hud.draw(frame, state.score)

    def mdp(self, state: State) -> jax.Array:
        ids = self._ids(state) + NUM_PLAIN * self._at(state.ball - state.direction)
        return self._frame(state, jnp.where(self._at(state.ball), BALL, ids))

    def pomdp(self, state: State) -> jax.Array:
        is_shown = self._at(state.ball) & (state.direction[0] < 0)
        return self._frame(state, jnp.where(is_shown, BALL, self._ids(state)))


def _atlas(size: int) -> np.ndarray:
    """uint32[2 * NUM_PLAIN + 1, size, size]: plain tiles, the same with a trail dot, the ball."""
    grid = shapes.pixel_grid(size, size)
    gap = size >= 4  # a one-pixel mortar line between bricks where cells are large enough
    block = shapes.rect(grid, 0, 0, size - gap, size - gap)
    plain = [
        canvas.blank(size, size, "black"),
        canvas.blank(size, size, "board"),
        canvas.tile(size, size, "black", [(shapes.rect(grid, 0, 0, size / 2, size), "blue")]),
        *(canvas.tile(size, size, "black", [(block, fill)]) for fill in BRICK_COLORS),
    ]
    centre = (size / 2, size / 2)
    dot = shapes.disk(grid, centre, max(0.5, size / 5))
    with_trail = [canvas.paint(tile, dot, "cell_open") for tile in plain]
    ball = canvas.tile(
        size, size, "black", [(shapes.disk(grid, centre, max(0.75, size / 2)), "white")]
    )
    return np.stack([*plain, *with_trail, ball])


GAME = Game(
    name="Breakout",
    config_type=Config,
    make_params=make_params,
    presets=PRESETS,
    reset=reset,
    step=step,
    renderer=Renderer,
    expert=expert,
    expert_return=EXPERT_RETURN,
)
