"""MemoryChain, the bsuite memory diagnostic (docs/models.md §12), on the twin core.

Rules: at reset `num_bits` context bits and a query index are drawn at random. An episode lasts
L = `memory_length` steps, t = 0..L-1. The action at t = L-1 pays +1 if it names bit `query` of
the context and -1 otherwise, and ends the episode; every earlier action pays 0. The agent must
hold the context for L-1 steps.

Observation at step t (`vector_observation`, bsuite's): float32[num_bits + 2] =
[1 - t/L, the query at t = L-1 (else 0), 2 context - 1 at t = 0 (else 0)]. With one bit the
query is always 0, so the time channel is what marks the last step. Unlike bsuite and gymnax,
whose `step` returns the observation of the state before the step (so the t = 0 observation
arrives twice and an episode takes L + 1 steps), each step here returns the observation of the
state it reached: the same task, without the duplicated first step.

Two views of the same rules and states:
- `VectorMemoryChain`: the vector above, actions {0, 1} (bsuite's);
- the pixel twin (`GAME` on `TwinEnv`): a bar of remaining time, one cell per context bit (red 0,
  green 1, grey when hidden) and a marker under the queried bit at the last step; actions up (0)
  and down (1) name 0 and 1, left, right and fire are wrong answers.
The POMDP shows the context at t = 0 only, as bsuite does; the MDP shows it at every step.
L is a traced parameter (`MemoryChainParams`), so chains of several lengths can run in one program.
Neither view is registered among the benchmark's ids; build them with `make_memory_chain`.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct
from gymnax.environments import spaces

from popgym_arcade_twins.core import Game, Params, TwinEnv
from popgym_arcade_twins.render import Layout, canvas, color, shapes


@dataclass(frozen=True)
class Config:
    num_bits: int = 1

    def __post_init__(self):
        if self.num_bits < 1:
            raise ValueError(f"num_bits must be at least 1, got {self.num_bits}")


@struct.dataclass
class MemoryChainParams(Params):
    memory_length: int = 8  # L; `max_steps_in_episode` equals it


@struct.dataclass
class State:
    context: jax.Array  # bool[num_bits]
    query: jax.Array  # int32 in [0, num_bits): the bit to name at the last step
    length: jax.Array  # int32: L of this episode
    time: jax.Array  # int32


def make_params(config: Config, memory_length: int = 8) -> MemoryChainParams:
    return MemoryChainParams(max_steps_in_episode=memory_length, memory_length=memory_length)


def reset(key: jax.Array, config: Config, params: MemoryChainParams) -> State:
    key_context, key_query = jax.random.split(key)
    return State(
        context=jax.random.bernoulli(key_context, shape=(config.num_bits,)),
        query=jax.random.randint(key_query, (), 0, config.num_bits),
        length=jnp.asarray(params.memory_length, jnp.int32),
        time=jnp.zeros((), jnp.int32),
    )


def step(key, state: State, action, config: Config, params: MemoryChainParams):
    last = state.time == state.length - 1
    correct = action == state.context[state.query].astype(jnp.int32)
    return state, jnp.where(last, jnp.where(correct, 1.0, -1.0), 0.0), last


def is_shown(state: State, partial_obs: bool) -> jax.Array:
    """Whether this variant shows the context in `state`."""
    return state.time == 0 if partial_obs else jnp.bool_(True)


def vector_observation(state: State, partial_obs: bool) -> jax.Array:
    """bsuite's float32[num_bits + 2]: time remaining, query, context as +-1 (see the module)."""
    last = state.time == state.length - 1
    context = jnp.where(is_shown(state, partial_obs), 2.0 * state.context - 1.0, 0.0)
    return jnp.concatenate(
        [
            jnp.stack([1 - state.time / state.length, jnp.where(last, state.query, 0)]),
            context,
        ]
    ).astype(jnp.float32)


class Renderer:
    """Top: the remaining-time bar. Middle: one cell per bit. Below a cell: the query marker."""

    def __init__(self, config: Config, layout: Layout):
        size = layout.size
        self.bar = layout.box(6, 4, 6, 56)
        grid = layout.grid_for(config.num_bits, 20, 4, 24, 56)
        ys, xs = np.indices((size, size))
        cells = np.full((size, size), -1, np.int32)
        markers = np.full((size, size), -1, np.int32)
        marker_top, marker_height = grid.box.bottom + round(layout.px(2)), round(layout.px(3))
        gap = max(1, grid.cell // 8)
        for bit in range(config.num_bits):
            row, col = divmod(bit, grid.cols)
            top, left = grid.top + row * grid.cell, grid.left + col * grid.cell
            inside = (ys >= top + gap) & (ys < top + grid.cell - gap)
            inside &= (xs >= left + gap) & (xs < left + grid.cell - gap)
            cells[inside] = bit
            under = (ys >= marker_top) & (ys < marker_top + marker_height)
            markers[under & (xs >= left + gap) & (xs < left + grid.cell - gap)] = bit
        self.cells, self.markers = cells, markers
        self.bar_pixels = shapes.pixel_grid(self.bar.height, self.bar.width)[1]
        frame = canvas.blank(size, size, "background")
        frame = canvas.fill_box(frame, self.bar, "board")
        self.background = np.where(cells >= 0, color("cell"), frame)

    def _frame(self, state: State, shown: jax.Array) -> jax.Array:
        remaining = (1 - state.time / state.length) * self.bar.width
        bar = jnp.where(self.bar_pixels < remaining, color("cyan"), color("board"))
        frame = (
            jnp.asarray(self.background)
            .at[self.bar.slices]
            .set(jnp.broadcast_to(bar, (self.bar.height, self.bar.width)))
        )
        bits = state.context[jnp.maximum(self.cells, 0)]
        frame = jnp.where(
            (self.cells >= 0) & shown, jnp.where(bits, color("green"), color("red")), frame
        )
        queried = (self.markers == state.query) & (state.time == state.length - 1)
        return jnp.where(queried, color("cursor"), frame)

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, is_shown(state, partial_obs=False))

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, is_shown(state, partial_obs=True))


GAME = Game("MemoryChain", Config, make_params, {}, reset, step, Renderer, version=1)


class VectorMemoryChain(TwinEnv):
    """The same rules and states with bsuite's observation vector and actions {0, 1}. Frames are
    never drawn (the renderer of the smallest layout is built but unused)."""

    def __init__(self, config: Config, params: MemoryChainParams, partial_obs: bool):
        super().__init__(GAME, config, params, obs_size=32, partial_obs=partial_obs)

    @property
    def num_actions(self) -> int:
        return 2

    def action_space(self, params: Params | None = None) -> spaces.Discrete:
        return spaces.Discrete(2)

    def observation_space(self, params: Params | None = None) -> spaces.Box:
        shape = (self.config.num_bits + 2,)
        return spaces.Box(-1.0, max(1, self.config.num_bits - 1), shape, jnp.float32)

    def draw(self, state: State) -> jax.Array:
        return vector_observation(state, self.partial_obs)


def make_memory_chain(
    memory_length: int = 8,
    num_bits: int = 1,
    partial_obs: bool = True,
    obs_size: int | None = None,
) -> tuple[TwinEnv, MemoryChainParams]:
    """(env, params): the vector env when `obs_size` is None, else the pixel twin of that size.

    Only `params` carries the length, so `params.replace(memory_length=L, max_steps_in_episode=L)`
    runs another length in the same program.
    """
    if memory_length < 1:
        raise ValueError(f"memory_length must be at least 1, got {memory_length}")
    config = Config(num_bits)
    params = make_params(config, memory_length)
    if obs_size is None:
        return VectorMemoryChain(config, params, partial_obs), params
    return TwinEnv(GAME, config, params, obs_size=obs_size, partial_obs=partial_obs), params
