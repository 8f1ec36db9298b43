"""Gymnasium adapters, so code written for gymnasium runs any id.

Every id is registered with gymnasium as `popgym_arcade_twins/<id>-v<version>` (`gymnasium_id`),
with both adapters as its entry points:

    env = gymnasium.make("popgym_arcade_twins/BreakoutEasy-v1", partial_obs=True)
    envs = gymnasium.make_vec("popgym_arcade_twins/BreakoutEasy-v1", num_envs=8, obs_size=64)

`GymnasiumEnv` is one `gymnasium.Env`: `reset(seed=...) -> obs, info`, `step(action) -> obs,
reward, terminated, truncated, info`, with no auto-reset (call `reset` after an episode ends, as
gymnasium expects). `GymnasiumVectorEnv` is a `gymnasium.vector.VectorEnv` of N envs advanced
by one vmapped, jitted step, in either of gymnasium's auto-reset modes
(`metadata["autoreset_mode"]`):

- `NEXT_STEP` (the default, as gymnasium's own vector envs): the step that ends an episode returns
  its last frame; the next step resets that env, ignores its action and returns the first frame of
  the next episode with reward 0 and both flags false. Env i of `reset(seed=[s_0, ..., s_N-1])`
  then plays exactly as `GymnasiumEnv` reset with seed s_i and reset after each episode.
- `SAME_STEP`, as the core: the step that ends an episode returns the first frame of the next one,
  and `info["final_obs"]` holds the frame the episode ended on (an object array with None for the
  envs that did not end, and the mask `info["_final_obs"]`).

Both run jitted on JAX's default device and return writable numpy arrays: observations
uint8[S, S, 3] (batched [N, S, S, 3]), `Discrete(5)` actions (batched `MultiDiscrete`); an action
outside 0-4 raises a ValueError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from popgym_arcade_twins.core import ACTION_NAMES, NUM_ACTIONS
from popgym_arcade_twins.registry import make

_ACTIONS = ", ".join(f"{i} {name}" for i, name in enumerate(ACTION_NAMES))


def _spaces(obs_size: int):
    observation = gymnasium.spaces.Box(0, 255, (obs_size, obs_size, 3), np.uint8)
    return observation, gymnasium.spaces.Discrete(NUM_ACTIONS)


def _seed_int(np_random: np.random.Generator) -> int:
    return int(np_random.integers(0, 2**32 - 1))


def _checked_actions(actions: Any, shape: tuple[int, ...]) -> np.ndarray:
    """`actions` as an int32 array of `shape`, or a ValueError naming the valid actions."""
    array = np.asarray(actions)
    valid = np.issubdtype(array.dtype, np.integer) and array.shape == shape
    if not valid or (array < 0).any() or (array >= NUM_ACTIONS).any():
        what = "an integer" if shape == () else f"{shape[0]} integers (one per env)"
        raise ValueError(
            f"actions are {what} in [0, {NUM_ACTIONS - 1}] ({_ACTIONS}), got {actions!r}"
        )
    return array.astype(np.int32)


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
            self._key = jax.random.key(_seed_int(self.np_random))
        self._key, key = jax.random.split(self._key)
        obs, self._state = self._reset(key, self.params)
        self._obs = np.array(obs)
        return self._obs, {}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        action = _checked_actions(action, ())
        self._key, key = jax.random.split(self._key)
        obs, self._state, reward, terminated, truncated = self._step(
            key, self._state, action, self.params
        )
        self._obs = np.array(obs)
        return self._obs, float(reward), bool(terminated), bool(truncated), {}

    def render(self) -> np.ndarray | None:
        return self._obs if self.render_mode == "rgb_array" else None


class GymnasiumVectorEnv(VectorEnv):
    """`num_envs` envs of a registered id, stepped together by one vmapped, jitted step.

    `autoreset_mode` is `AutoresetMode.NEXT_STEP` or `AutoresetMode.SAME_STEP` (or its value);
    every env keeps its own key chain, seeded by `reset(seed=...)`: an int s seeds env i with
    s + i (as gymnasium's vector envs do), a list gives one seed (or None) per env.
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        partial_obs: bool = False,
        obs_size: int = 128,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **overrides: Any,
    ):
        mode = AutoresetMode(autoreset_mode)
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode must be NEXT_STEP or SAME_STEP, got {mode}")
        self.metadata = {**type(self).metadata, "autoreset_mode": mode}
        self.env, self.params = make(
            env_id, partial_obs=partial_obs, obs_size=obs_size, **overrides
        )
        self.num_envs = num_envs
        self.single_observation_space, self.single_action_space = _spaces(obs_size)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._reset = jax.jit(jax.vmap(self._reset_one, in_axes=(0, None)))
        if mode == AutoresetMode.NEXT_STEP:
            self._step = jax.jit(jax.vmap(self._step_next_step, in_axes=(0, 0, 0, 0, None)))
        else:
            self._step = jax.jit(jax.vmap(self._step_same_step, in_axes=(0, 0, 0, None)))
        self._draw = jax.jit(jax.vmap(self.env.draw))
        self._keys: jax.Array | None = None  # one key chain per env
        self._state = None
        self._autoreset = np.zeros(num_envs, bool)  # NEXT_STEP: envs whose episode just ended

    def _reset_one(self, key, params):
        key, key_now = jax.random.split(key)
        obs, state = self.env.reset(key_now, params)
        return key, obs, state

    def _step_next_step(self, key, state, action, autoreset, params):
        """The core step without its auto-reset or, where `autoreset`, a reset; one frame drawn."""
        key, key_now = jax.random.split(key)
        _, _, reward, terminated, truncated, info = self.env.step(key_now, state, action, params)
        _, reset_state = self.env.reset(key_now, params)
        state = jax.tree.map(
            lambda r, s: jax.lax.select(autoreset, r, s), reset_state, info["final_state"]
        )
        kept = ~autoreset
        reward = jnp.where(autoreset, 0.0, reward)
        return key, self.env.draw(state), state, reward, terminated & kept, truncated & kept

    def _step_same_step(self, key, state, action, params):
        """The core step (auto-reset included) and the state its episode ended on, undrawn."""
        key, key_now = jax.random.split(key)
        obs, state, reward, terminated, truncated, info = self.env.step(
            key_now, state, action, params
        )
        return key, obs, state, reward, terminated, truncated, info["final_state"]

    def _seed_keys(self, seed: int | Sequence[int | None] | None) -> jax.Array:
        """One key per env: from its seed, else its chain so far, else fresh entropy."""
        if seed is None or isinstance(seed, int):
            seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed must be an int or {self.num_envs} seeds, got {seed!r}")
        if self._keys is not None and all(s is None for s in seeds):
            return self._keys
        ints = [
            _seed_int(seeding.np_random(s)[0] if s is not None else self.np_random) for s in seeds
        ]
        keys = jax.vmap(jax.random.key)(jnp.asarray(ints, jnp.uint32))
        if self._keys is not None:
            kept = jnp.asarray([s is None for s in seeds])
            keys = jax.random.wrap_key_data(
                jnp.where(kept[:, None], jax.random.key_data(self._keys), jax.random.key_data(keys))
            )
        return keys

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ):
        super().reset(seed=seed if isinstance(seed, int) else None)
        self._keys, obs, self._state = self._reset(self._seed_keys(seed), self.params)
        self._autoreset[:] = False
        return np.array(obs), {}

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        actions = _checked_actions(actions, (self.num_envs,))
        if self.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP:
            self._keys, obs, self._state, reward, terminated, truncated = self._step(
                self._keys, self._state, actions, self._autoreset, self.params
            )
            terminated, truncated = np.array(terminated), np.array(truncated)
            self._autoreset = terminated | truncated
            return np.array(obs), np.array(reward), terminated, truncated, {}
        self._keys, obs, self._state, reward, terminated, truncated, final_state = self._step(
            self._keys, self._state, actions, self.params
        )
        terminated, truncated = np.array(terminated), np.array(truncated)
        info: dict[str, Any] = {}
        done = terminated | truncated
        if done.any():  # draw the frames episodes ended on only when some did
            final_frames = np.array(self._draw(final_state))
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = final_frames[i]
            info = {
                "final_obs": final_obs,
                "_final_obs": done,
                "final_info": {},
                "_final_info": done,
            }
        return np.array(obs), np.array(reward), terminated, truncated, info
