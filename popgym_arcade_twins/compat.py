"""POPGym Arcade's API on the twins, for code written for `popgym_arcade` or gymnax before 1.0.

    import popgym_arcade_twins.compat as popgym_arcade

    env, params = popgym_arcade.make("CountRecallEasy", partial_obs=True, obs_size=128)
    obs, state = env.reset(key, params)
    obs, state, reward, done, info = env.step(key, state, action, params)

`step` returns the 5-tuple of POPGym Arcade and older gymnax: `done` is terminated or truncated,
the env auto-resets in the same step, and `info` holds only arrays, `terminated` and `truncated`
(as POPGym Arcade's own envs do), so code that averages every `info` value works. The env has the
attributes POPGym Arcade's envs have (`max_steps_in_episode`, `obs_size`, `partial_obs`,
`num_actions`, `get_obs`, gymnax spaces), and rejax trains on it as it is:
`rejax.PPO.create(env=env, env_params=params)`.
"""

from __future__ import annotations

from typing import Any

import jax

from popgym_arcade_twins.core import Params
from popgym_arcade_twins.envs import GAMES
from popgym_arcade_twins.registry import make as _make
from popgym_arcade_twins.wrappers import Wrapper

REGISTERED_ENVIRONMENTS: list[str] = [
    f"{game.name}{level}" for game in GAMES for level in game.presets
]
"""The built-in games' ids: POPGym Arcade's thirty (ids registered at run time are not in it)."""


class ArcadeEnv(Wrapper):
    """A twin env (or a wrapped one) with POPGym Arcade's step tuple, info and attributes.

    `ArcadeEnv(env)` puts any twin env behind this API: a probe, MemoryChain, a game built by hand.
    """

    @property
    def max_steps_in_episode(self) -> int:
        """Time limit of the default params, as POPGym Arcade's envs carry it."""
        return int(self._env.default_params.max_steps_in_episode)

    def get_obs(self, state: Any, params: Params | None = None, key: jax.Array | None = None):
        """The frame of `state` as this variant shows it (`params` and `key` are unused)."""
        return self._env.draw(state)

    def reset(self, key: jax.Array, params: Params | None = None) -> tuple[jax.Array, Any]:
        return self._env.reset(key, params)

    def step(
        self, key: jax.Array, state: Any, action: Any, params: Params | None = None
    ) -> tuple[jax.Array, Any, jax.Array, jax.Array, dict[str, jax.Array]]:
        """`(obs, state, reward, done, info)`, auto-reset in the same step."""
        obs, state, reward, terminated, truncated, _ = self._env.step(key, state, action, params)
        info = {"terminated": terminated, "truncated": truncated}
        return obs, state, reward, terminated | truncated, info


def make(
    env_id: str, partial_obs: bool = False, obs_size: int = 128, **overrides: Any
) -> tuple[ArcadeEnv, Params]:
    """`(env, params)` of a registered id, with POPGym Arcade's keywords (see `registry.make`)."""
    env, params = _make(env_id, partial_obs=partial_obs, obs_size=obs_size, **overrides)
    return ArcadeEnv(env), params


__all__ = ["REGISTERED_ENVIRONMENTS", "ArcadeEnv", "make"]
