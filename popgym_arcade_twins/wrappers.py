"""Wrappers: episode statistics, and the legacy 5-tuple step API for older gymnax code."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.core import Params, TwinEnv


class Wrapper:
    """Forwards everything it does not override to the wrapped env."""

    def __init__(self, env: TwinEnv | Wrapper):
        self._env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


@struct.dataclass
class LogState:
    env_state: Any
    episode_return: jax.Array  # float32: return of the running episode so far
    episode_length: jax.Array  # int32
    returned_episode_return: jax.Array  # float32: return of the last finished episode
    returned_episode_length: jax.Array  # int32


class LogWrapper(Wrapper):
    """Adds `returned_episode`, `returned_episode_return` and `returned_episode_length` to `info`.

    `returned_episode` is true on the step that ends an episode (terminated or truncated); the two
    statistics then describe that episode, and keep describing it until the next one ends.
    """

    def reset(self, key: jax.Array, params: Params | None = None) -> tuple[jax.Array, LogState]:
        obs, env_state = self._env.reset(key, params)
        zero_f, zero_i = jnp.zeros((), jnp.float32), jnp.zeros((), jnp.int32)
        return obs, LogState(env_state, zero_f, zero_i, zero_f, zero_i)

    def step(self, key: jax.Array, state: LogState, action: Any, params: Params | None = None):
        obs, env_state, reward, terminated, truncated, info = self._env.step(
            key, state.env_state, action, params
        )
        done = terminated | truncated
        episode_return = state.episode_return + reward
        episode_length = state.episode_length + 1
        state = LogState(
            env_state=env_state,
            episode_return=jnp.where(done, 0.0, episode_return),
            episode_length=jnp.where(done, 0, episode_length),
            returned_episode_return=jnp.where(done, episode_return, state.returned_episode_return),
            returned_episode_length=jnp.where(done, episode_length, state.returned_episode_length),
        )
        info = {
            **info,
            "returned_episode": done,
            "returned_episode_return": state.returned_episode_return,
            "returned_episode_length": state.returned_episode_length,
        }
        return obs, state, reward, terminated, truncated, info


class LegacyStepWrapper(Wrapper):
    """`step` returns `(obs, state, reward, done, info)`, done = terminated or truncated, as in
    gymnax before 1.0; `info` keeps `terminated` and `truncated` apart."""

    def step(self, key: jax.Array, state: Any, action: Any, params: Params | None = None):
        obs, state, reward, terminated, truncated, info = self._env.step(key, state, action, params)
        return obs, state, reward, terminated | truncated, info
