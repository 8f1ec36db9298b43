"""The twin environment: one game's pure rules and drawing wired into the gymnax 1.0 API.

A game supplies `reset`, `step` and a renderer with two observation functions of a state, `mdp`
and `pomdp`. `TwinEnv` owns everything else, in one place: time, truncation, auto-reset, info keys
and the observation. Observability is a static field read only by `draw`, which picks one of the
two, so the MDP and POMDP of a game share states, rewards and terminations by construction, and a
variant's graph contains only its own drawing code.

Actions are the integers 0..4 (`UP`, `DOWN`, `LEFT`, `RIGHT`, `FIRE`). Any other value (negative,
5 or more, or a float that is not a whole number: -0.5 and 4.5 alike) is a no-op in every game:
`TwinEnv.step` replaces it by `NO_OP` before the game sees it, and a game's `step` matches actions
only by equality with the five, so `NO_OP` moves, fires and confirms nothing (time, truncation and
the game's own dynamics, such as gravity or a falling pole, go on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol

import jax
import jax.numpy as jnp
from flax import struct
from gymnax.environments import environment, spaces

from popgym_arcade_twins.render import Layout, to_rgb
from popgym_arcade_twins.render.once import materialize

NUM_ACTIONS = 5
UP, DOWN, LEFT, RIGHT, FIRE = range(NUM_ACTIONS)
NO_OP = -1  # what an out-of-range action becomes (see the module docstring)
ACTION_NAMES = ("up", "down", "left", "right", "fire")


@struct.dataclass
class Params(environment.EnvParams):
    """Traced parameters every game has; games subclass it with their own numeric fields."""

    max_steps_in_episode: int = 1


class Renderer(Protocol):
    """Draws a game's frames as packed uint32[S, S] canvases (see `render.palette`).

    Built once per (config, frame size), with its static layers precomputed.
    """

    def mdp(self, state: Any) -> jax.Array:
        """The fully observable frame: everything optimal play needs."""

    def pomdp(self, state: Any) -> jax.Array:
        """The partially observable frame: the MDP frame less what must be remembered."""


@dataclasses.dataclass(frozen=True)
class Game:
    """A game as data: pure rules, a renderer factory, static config and difficulty presets.

    `config_type` is a frozen (hashable) dataclass of shape-changing settings; `make_params(config)`
    gives the traced `Params` that follow from it. `presets` maps a difficulty name to overrides of
    either. `reset(key, config, params) -> state` and `step(key, state, action, config, params) ->
    (state, reward, terminated)` never read the observability setting and never touch `state.time`.
    `step` sees an action in 0..4 or `NO_OP`, which it must treat as none of them.
    `expert(state, config, params) -> action`, where given, plays well from the state but reads
    only what the MDP frame shows (never hidden mines or ships), so an agent of the MDP can play
    as well: it is the reference return agents are measured against, and drives demo GIFs.

    `version` (an int >= 1) names the rules and drawing: a change that can alter what an agent
    sees or earns gets a new version, so results of different versions are never mixed. Ids
    resolve `CartPoleEasy-v1` to version 1 and plain `CartPoleEasy` to the latest registered.
    `expert_return` maps each difficulty to the least mean return the expert reaches (first
    episodes of 32 envs from key 0, `testing.check_expert`): a threshold that tests hold it to.
    """

    name: str
    config_type: type
    make_params: Callable[[Any], Params]
    presets: Mapping[str, Mapping[str, Any]]
    reset: Callable[..., Any]
    step: Callable[..., tuple[Any, jax.Array, jax.Array]]
    renderer: Callable[[Any, Layout], Renderer]
    expert: Callable[..., jax.Array] | None = None
    expert_return: Mapping[str, float] = dataclasses.field(default_factory=dict)
    version: int = 1

    def __post_init__(self):
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"{self.name}: version must be an int >= 1, got {self.version!r}")


def valid_action(action: Any) -> jax.Array:
    """`action` as int32 if it is one of 0..4 (by value: 4.0 is, 4.5 is not), else `NO_OP`."""
    action = jnp.asarray(action)
    valid = (action >= 0) & (action < NUM_ACTIONS)
    if jnp.issubdtype(action.dtype, jnp.inexact):
        valid &= action == jnp.round(action)
    return jnp.where(valid, action.astype(jnp.int32), NO_OP)


class TwinEnv(environment.Environment):
    """One variant (MDP or POMDP) of a game at one frame size, with gymnax >= 1.0 semantics."""

    def __init__(self, game: Game, config: Any, params: Params, obs_size: int, partial_obs: bool):
        super().__init__()
        self.game = game
        self.config = config
        self.obs_size = obs_size
        self.partial_obs = partial_obs
        self._params = params
        self.renderer = game.renderer(config, Layout(obs_size))

    @property
    def default_params(self) -> Params:
        return self._params

    @property
    def name(self) -> str:
        return f"{self.game.name}-{'POMDP' if self.partial_obs else 'MDP'}"

    @property
    def version(self) -> int:
        """The game's version (`Game.version`): what records and checkpoints store with an id."""
        return self.game.version

    @property
    def num_actions(self) -> int:
        return NUM_ACTIONS

    def action_space(self, params: Params | None = None) -> spaces.Discrete:
        return spaces.Discrete(NUM_ACTIONS)

    def observation_space(self, params: Params | None = None) -> spaces.Box:
        return spaces.Box(0, 255, (self.obs_size, self.obs_size, 3), jnp.uint8)

    def draw(self, state: Any) -> jax.Array:
        """uint8[S, S, 3] frame of `state` as this variant shows it."""
        observe = self.renderer.pomdp if self.partial_obs else self.renderer.mdp
        return to_rgb(observe(materialize(state)))

    def observe(self, key: jax.Array, state: Any, action: Any, params: Params) -> jax.Array:
        return self.draw(state)

    def reset_env(self, key: jax.Array, params: Params) -> tuple[jax.Array, Any]:
        state = self.game.reset(key, self.config, params)
        return self.draw(state), state

    @partial(jax.jit, static_argnames=("self",))
    def step(
        self, key: jax.Array, state: Any, action: Any, params: Params | None = None
    ) -> tuple[jax.Array, Any, jax.Array, jax.Array, jax.Array, dict[str, Any]]:
        """Advance one step; on termination or truncation, auto-reset within the same step.

        The next state is selected before drawing, so a step draws one frame.
        `info["final_observation"]` (the frame of the pre-reset state) is a second frame: it costs
        nothing when unused inside a jitted program, which removes it as dead code.
        """
        params = self.default_params if params is None else params
        key_step, key_reset = jax.random.split(key)
        action = valid_action(action)
        next_state, reward, terminated = self.game.step(
            key_step, state, action, self.config, params
        )
        next_state = next_state.replace(time=state.time + 1)
        terminated = jnp.asarray(terminated, bool)
        truncated = (next_state.time >= params.max_steps_in_episode) & ~terminated
        done = terminated | truncated
        reset_state = self.game.reset(key_reset, self.config, params)
        state = jax.tree.map(lambda r, s: jax.lax.select(done, r, s), reset_state, next_state)
        info = {
            "terminated": terminated,
            "truncated": truncated,
            "final_state": next_state,
            "final_observation": self.draw(next_state),
        }
        return (
            self.draw(state),
            state,
            jnp.asarray(reward, jnp.float32),
            terminated,
            truncated,
            info,
        )
