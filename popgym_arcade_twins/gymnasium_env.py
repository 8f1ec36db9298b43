"""Gymnasium adapters, so code written for gymnasium runs any id.

`GymnasiumEnv` is one `gymnasium.Env`: `reset(seed=...) -> obs, info`, `step(action) -> obs,
reward, terminated, truncated, info`, with no auto-reset (call `reset` after an episode ends, as
gymnasium expects). `GymnasiumVectorEnv` is a `gymnasium.vector.VectorEnv` of N envs advanced by
one vmapped, jitted step that auto-resets finished envs within the same step, as the core does
(`metadata["autoreset_mode"]` is `SAME_STEP`): on that step `obs` is the first frame of the next
episode and `info["final_obs"]` holds the frame the episode ended on (gymnasium 1.x convention:
an object array with None for the envs that did not end, and the mask `info["_final_obs"]`).

Both run jitted on JAX's default device and return numpy arrays: observations uint8[S, S, 3]
(batched [N, S, S, 3]), `Discrete(5)` actions (batched `MultiDiscrete`).

    env = GymnasiumEnv("BreakoutEasy", partial_obs=True)
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from popgym_arcade_twins.core import NUM_ACTIONS
from popgym_arcade_twins.registry import make


def _spaces(obs_size: int):
    observation = gymnasium.spaces.Box(0, 255, (obs_size, obs_size, 3), np.uint8)
    return observation, gymnasium.spaces.Discrete(NUM_ACTIONS)


def _seed_key(np_random: np.random.Generator) -> jax.Array:
    return jax.random.key(int(np_random.integers(0, 2**32 - 1)))


class GymnasiumEnv(gymnasium.Env):
    """One env of a registered id (see `make` for the arguments) behind the gymnasium API."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"]}

    def __init__(
        self,
        env_id: str,
        partial_obs: bool = False,
        obs_size: int = 128,
        render_mode: str | None = None,
        **overrides: Any,
    ):
        self.env, self.params = make(
            env_id, partial_obs=partial_obs, obs_size=obs_size, **overrides
        )
        self.observation_space, self.action_space = _spaces(obs_size)
        self.render_mode = render_mode
        self._reset = jax.jit(self.env.reset)
        self._step = jax.jit(self._step_without_reset)
        self._key: jax.Array | None = None
        self._state = None
        self._obs: np.ndarray | None = None

    def _step_without_reset(self, key, state, action, params):
        """The core step, keeping the state and frame the step ended on (the auto-reset and its
        frame are unused, so XLA drops them)."""
        _, _, reward, terminated, truncated, info = self.env.step(key, state, action, params)
        return info["final_observation"], info["final_state"], reward, terminated, truncated

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None or self._key is None:
            self._key = _seed_key(self.np_random)
        self._key, key = jax.random.split(self._key)
        obs, self._state = self._reset(key, self.params)
        self._obs = np.asarray(obs)
        return self._obs, {}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        self._key, key = jax.random.split(self._key)
        obs, self._state, reward, terminated, truncated = self._step(
            key, self._state, jnp.int32(action), self.params
        )
        self._obs = np.asarray(obs)
        return self._obs, float(reward), bool(terminated), bool(truncated), {}

    def render(self) -> np.ndarray | None:
        return self._obs if self.render_mode == "rgb_array" else None


class GymnasiumVectorEnv(VectorEnv):
    """`num_envs` envs of a registered id, stepped together by one vmapped, jitted step."""

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        partial_obs: bool = False,
        obs_size: int = 128,
        **overrides: Any,
    ):
        self.env, self.params = make(
            env_id, partial_obs=partial_obs, obs_size=obs_size, **overrides
        )
        self.num_envs = num_envs
        self.single_observation_space, self.single_action_space = _spaces(obs_size)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._reset = jax.jit(jax.vmap(self.env.reset, in_axes=(0, None)))
        self._step = jax.jit(jax.vmap(self._step_one, in_axes=(0, 0, 0, None)))
        self._draw = jax.jit(jax.vmap(self.env.draw))
        self._key: jax.Array | None = None
        self._state = None

    def _step_one(self, key, state, action, params):
        """The core step (auto-reset included) and the state its episode ended on, undrawn."""
        obs, state, reward, terminated, truncated, info = self.env.step(key, state, action, params)
        return obs, state, reward, terminated, truncated, info["final_state"]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None or self._key is None:
            self._key = _seed_key(self.np_random)
        self._key, key = jax.random.split(self._key)
        obs, self._state = self._reset(jax.random.split(key, self.num_envs), self.params)
        return np.asarray(obs), {}

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        self._key, key = jax.random.split(self._key)
        actions = jnp.asarray(np.asarray(actions), jnp.int32).reshape(self.num_envs)
        obs, self._state, reward, terminated, truncated, final_state = self._step(
            jax.random.split(key, self.num_envs), self._state, actions, self.params
        )
        terminated, truncated = np.asarray(terminated), np.asarray(truncated)
        info: dict[str, Any] = {}
        done = terminated | truncated
        if done.any():  # draw the frames episodes ended on only when some did
            final_frames = np.asarray(self._draw(final_state))
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = final_frames[i]
            info = {
                "final_obs": final_obs,
                "_final_obs": done,
                "final_info": {},
                "_final_info": done,
            }
        return np.asarray(obs), np.asarray(reward), terminated, truncated, info
