"""Probe tasks with known answers, built on the twin core, for testing the learners in seconds.

Each frame is one flat colour, so a 32-pixel frame carries the whole observation.

- `constant`: reward 1 every step, episodes truncated after `length` steps. With truncations
  bootstrapped, every value is 1 / (1 - gamma); treating them as terminations would give less.
- `colour`: one-step episodes showing green or red at random; action `UP` (0) pays +1 on green,
  action `DOWN` (1) pays +1 on red, anything else 0. Q and the policy must read the frame.
- `one_bit`: the first frame shows a random bit (green or red), the next `length - 2` are grey, and
  at the last step the action must name the bit (`UP` for green, `DOWN` for red): +1 right, -1
  wrong. The MDP shows the bit on every frame; the POMDP only on the first, so only a memory model
  solves the POMDP (a memoryless one scores 0 on average).

The expert names the bit (`UP` on green, `DOWN` on red) at every step, which earns every reward
of every task.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.core import DOWN, UP, Game, Params, TwinEnv
from popgym_arcade_twins.render import Layout, color


@dataclass(frozen=True)
class Config:
    task: str = "one_bit"
    length: int = 4

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.length < 2:
            raise ValueError(f"length must be at least 2, got {self.length}")


@struct.dataclass
class State:
    bit: jax.Array  # bool: green (True) or red
    time: jax.Array  # int32


TASKS = ("constant", "colour", "one_bit")


def make_params(config: Config) -> Params:
    return Params(max_steps_in_episode=1 if config.task == "colour" else config.length)


def reset(key: jax.Array, config: Config, params: Params) -> State:
    return State(bit=jax.random.bernoulli(key), time=jnp.zeros((), jnp.int32))


def step(key, state: State, action, config: Config, params: Params):
    named = jnp.where(state.bit, action == UP, action == DOWN)
    if config.task == "constant":
        return state, jnp.float32(1.0), jnp.bool_(False)
    if config.task == "colour":
        return state, named.astype(jnp.float32), jnp.bool_(True)
    last = state.time == config.length - 1
    return state, jnp.where(last, jnp.where(named, 1.0, -1.0), 0.0), last


class Renderer:
    """A flat frame: green or red where the bit is shown, grey otherwise."""

    def __init__(self, config: Config, layout: Layout):
        self.shape = (layout.size, layout.size)
        self.shown_always = config.task != "one_bit"

    def _frame(self, state: State, shown) -> jax.Array:
        fill = jnp.where(state.bit, color("green"), color("red"))
        return jnp.full(self.shape, jnp.where(shown, fill, color("cell")), jnp.uint32)

    def mdp(self, state: State) -> jax.Array:
        return self._frame(state, True)

    def pomdp(self, state: State) -> jax.Array:
        return self._frame(state, self.shown_always | (state.time == 0))


def expert(state: State, config: Config, params: Params) -> jax.Array:
    return jnp.where(state.bit, UP, DOWN)


GAME = Game("Probe", Config, make_params, {}, reset, step, Renderer, expert=expert, version=1)


def make_probe(task: str, length: int = 4, partial_obs: bool = False, obs_size: int = 32):
    """(env, params) of a probe task; not registered, so it never enters the benchmark's ids.
    `obs_size` is a power of 2 of at least 32 (the frames the baselines' encoder reads)."""
    if obs_size < 32 or obs_size & (obs_size - 1):
        raise ValueError(f"a probe's obs_size must be a power of 2 >= 32, got {obs_size}")
    config = Config(task, length)
    params = make_params(config)
    return TwinEnv(GAME, config, params, obs_size=obs_size, partial_obs=partial_obs), params
