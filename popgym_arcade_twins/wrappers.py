"""Wrappers: episode statistics, the legacy 5-tuple step API for older gymnax code, and
out-of-distribution observation noise."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.core import Params, TwinEnv


class Wrapper:
    """Forwards every attribute it does not override (dunders aside) to the wrapped env.

    Only set attributes are looked up, never the wrapped env before it exists, so `copy.copy`,
    `copy.deepcopy` and `pickle` (which build the object before restoring `_env`) work.
    """

    def __init__(self, env: TwinEnv | Wrapper):
        self._env = env

    def __getattr__(self, name: str) -> Any:
        env = self.__dict__.get("_env")
        if env is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(env, name)


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


def noise_frame(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """uint8 frame of `shape`, pixels uniform over 0-255: no game draws anything like it."""
    return jax.random.bits(key, shape, jnp.uint8)


class ObservationNoise(Wrapper):
    """Out-of-distribution frames: every observation (of `reset` and `step`) is replaced, with
    probability `probability`, by a `noise_frame`; `info["observation_noised"]` says when.

    The noise draws from keys folded out of the ones given, so states, rewards, terminations and
    truncations are exactly those of the wrapped env under the same keys.
    """

    def __init__(self, env: TwinEnv | Wrapper, probability: float):
        super().__init__(env)
        if not 0 <= probability <= 1:
            raise ValueError(f"probability must lie in [0, 1], got {probability}")
        self.probability = probability

    def _noised(self, key: jax.Array, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
        key_flip, key_frame = jax.random.split(jax.random.fold_in(key, 0x0DD))
        is_noised = jax.random.bernoulli(key_flip, self.probability)
        return jnp.where(is_noised, noise_frame(key_frame, obs.shape), obs), is_noised

    def reset(self, key: jax.Array, params: Params | None = None) -> tuple[jax.Array, Any]:
        obs, state = self._env.reset(key, params)
        return self._noised(key, obs)[0], state

    def step(self, key: jax.Array, state: Any, action: Any, params: Params | None = None):
        obs, state, reward, terminated, truncated, info = self._env.step(key, state, action, params)
        obs, is_noised = self._noised(key, obs)
        return obs, state, reward, terminated, truncated, {**info, "observation_noised": is_noised}
