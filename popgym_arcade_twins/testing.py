"""Conformance suite: the contracts every env and every twin pair must keep.

Anyone adding a game runs `check_twins("MyGameEasy")` (and the test suite runs it over every
registered id); `check_pair` takes twins built by hand. Each check raises `AssertionError` naming
the broken contract.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.core import NUM_ACTIONS, Params, TwinEnv
from popgym_arcade_twins.registry import make_twins

RETURN_BOUND = 1.0 + 1e-5
FAST_COMPILE = {"xla_backend_optimization_level": 0}
"""The suite runs each program briefly, so it compiles without LLVM optimisation (half the time)."""


def rollout(env: TwinEnv, params: Params, key: jax.Array, num_envs: int, num_steps: int):
    """A random-action rollout: (reset obs, per-step dict of obs/states/rewards/flags/actions).

    Everything comes from `key`, so twins given the same key take the same actions.
    """
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))
    key_reset, key_run = jax.random.split(key)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(
        jax.random.split(key_reset, num_envs), params
    )

    def body(state, key):
        key_step, key_action = jax.random.split(key)
        action = jax.random.randint(key_action, (num_envs,), 0, NUM_ACTIONS)
        obs, next_state, reward, terminated, truncated, info = step(
            jax.random.split(key_step, num_envs), state, action, params
        )
        record = {
            "obs": obs,
            "state": next_state,
            "final_state": info["final_state"],
            "action": action,
            "reward": reward,
            "terminated": terminated,
            "truncated": truncated,
        }
        return next_state, record

    _, records = jax.lax.scan(body, state, jax.random.split(key_run, num_steps))
    return obs, state, records


_rollout = jax.jit(rollout, static_argnums=(0, 3, 4))


def _same_abstract_types(a: Any, b: Any) -> bool:
    """Same tree, shapes, dtypes and weak types: what decides whether `jit` traces again."""
    sig = lambda tree: jax.tree.map(lambda x: (x.shape, x.dtype, x.weak_type), tree)
    return jax.tree.structure(a) == jax.tree.structure(b) and sig(a) == sig(b)


def check_env(
    env: TwinEnv, params: Params | None = None, num_envs: int = 4, num_steps: int = 48
) -> dict[str, Any]:
    """Spaces, dtypes, auto-reset, truncation, return bounds, determinism and no retracing.

    Returns the records of the random rollout it checked (see `rollout`).
    """
    params = env.default_params if params is None else params
    size = env.obs_size
    space = env.observation_space(params)
    assert space.shape == (size, size, 3) and space.dtype == jnp.uint8, f"{env.name}: space {space}"
    assert env.action_space(params).n == NUM_ACTIONS, f"{env.name}: not Discrete({NUM_ACTIONS})"

    key = jax.random.key(0)
    compiled = _rollout.lower(env, params, key, num_envs, num_steps).compile(FAST_COMPILE)
    reset_obs, reset_state, records = compiled(params, key)
    for name, frames in (("reset", reset_obs), ("step", records["obs"])):
        assert frames.dtype == jnp.uint8, f"{env.name}: {name} frames are {frames.dtype}, not uint8"
        assert frames.shape[-3:] == (size, size, 3), (
            f"{env.name}: {name} frame shape {frames.shape}"
        )
    assert bool(jnp.all(reset_state.time == 0)), f"{env.name}: reset state has time != 0"

    done = np.asarray(records["terminated"] | records["truncated"])
    time = np.asarray(records["state"].time)
    final_time = np.asarray(records["final_state"].time)
    assert not np.any(np.asarray(records["terminated"] & records["truncated"])), "both flags set"
    assert np.all(time[done] == 0), f"{env.name}: no auto-reset after an episode ended"
    assert np.all(time[~done] == final_time[~done]), f"{env.name}: time did not advance by one"
    truncated = np.asarray(records["truncated"])
    assert np.all(final_time[truncated] == int(params.max_steps_in_episode)), "early truncation"
    assert np.all(final_time[~done] < int(params.max_steps_in_episode)), "late truncation"

    rewards = np.asarray(records["reward"], np.float64)
    assert np.all(np.isfinite(rewards)), f"{env.name}: non-finite reward"
    returns = np.zeros(num_envs)
    for t in range(num_steps):
        returns += rewards[t]
        assert np.all(np.abs(returns) <= RETURN_BOUND), (
            f"{env.name}: return {returns} outside [-1, 1]"
        )
        returns[done[t]] = 0.0

    again = compiled(params, key)
    same = jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)), records, again[2])
    assert all(jax.tree.leaves(same)), f"{env.name}: the same key gave different rollouts"

    reset_shapes = jax.eval_shape(env.reset, key, params)
    step_shapes = jax.eval_shape(env.step, key, reset_shapes[1], jnp.int32(0), params)
    assert _same_abstract_types(reset_shapes[1], step_shapes[1]), (
        f"{env.name}: reset and step states differ in shape, dtype or weak type, "
        "so a second step call retraces"
    )
    assert _same_abstract_types(reset_shapes[0], step_shapes[0]), f"{env.name}: obs types differ"
    return records


def check_twins(env_id: str, obs_size: int = 64, num_envs: int = 4, num_steps: int = 48) -> None:
    """`check_pair` on the registered twins of `env_id`."""
    mdp, pomdp, params = make_twins(env_id, obs_size=obs_size)
    check_pair(mdp, pomdp, params, num_envs, num_steps)


def check_pair(
    mdp: TwinEnv, pomdp: TwinEnv, params: Params, num_envs: int = 4, num_steps: int = 48
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both variants conform, and under the same keys and actions they share states, rewards and
    flags while their frames differ. Returns the records of both rollouts (MDP, POMDP)."""
    mdp_records = check_env(mdp, params, num_envs, num_steps)
    pomdp_records = check_env(pomdp, params, num_envs, num_steps)
    for name in ("state", "final_state", "reward", "terminated", "truncated"):
        same = jax.tree.map(jnp.array_equal, mdp_records[name], pomdp_records[name])
        assert all(bool(s) for s in jax.tree.leaves(same)), f"{mdp.name}: twins differ in {name}"
    assert not bool(jnp.array_equal(mdp_records["obs"], pomdp_records["obs"])), (
        f"{mdp.name}: MDP and POMDP frames are identical over the whole rollout"
    )
    return mdp_records, pomdp_records
