"""Conformance suite: the contracts every env and every twin pair must keep.

Anyone adding a game runs `check_twins("MyGameEasy")` (and the test suite runs it over every
registered id); `check_pair` takes twins built by hand; `check_expert` holds a game's scripted
expert to the return threshold kept with the game. Each check raises `AssertionError` naming the
broken contract.

They share one episode runner, as do `harness`, `gifs` and the scripts: `run` (a `lax.scan` of
B vmapped envs under a policy `Act`, giving per-step `Step` records) and `first_episode_returns`
(a `lax.while_loop` until every env has ended one episode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.core import NUM_ACTIONS, Params, TwinEnv
from popgym_arcade_twins.registry import make, make_twins

RETURN_BOUND = 1.0 + 1e-5
FAST_COMPILE = {"xla_backend_optimization_level": 0}
"""The suite runs each program briefly, so it compiles without LLVM optimisation (half the time)."""


Act = Callable[[jax.Array, jax.Array, Any, Any, jax.Array], tuple[Any, jax.Array]]
"""A policy for `run`: `act(key, obs [B, ...], state, carry, start bool[B]) -> (carry, int32[B])`.

It sees the frames and the (batched) states of B envs, its own carry and which frames start an
episode, so random actions, state-reading experts and recurrent agents all fit.
"""


class Step(NamedTuple):
    """One step of B envs (leaves [B, ...]; `run` stacks them to [T, B, ...]): the policy saw
    `obs` of `state` and chose `action`."""

    obs: jax.Array
    state: Any
    start: jax.Array  # bool: obs is the first of an episode
    action: jax.Array  # int32
    reward: jax.Array  # float32
    terminated: jax.Array  # bool
    truncated: jax.Array  # bool
    final_state: Any  # the state the action led to, before any auto-reset
    episode_return: jax.Array  # float32: the return of this step's episode so far, reward included


class Loop(NamedTuple):
    """What `run` carries from step to step (leaves [B, ...] but `key`)."""

    key: jax.Array
    obs: jax.Array
    state: Any
    carry: Any  # the policy's
    start: jax.Array
    episode_return: jax.Array  # of the episode in progress, before this step
    first_return: jax.Array  # of each env's first episode (so far, until `finished`)
    finished: jax.Array  # bool: the first episode has ended


def random_policy(
    key: jax.Array, obs: jax.Array, state: Any, carry: Any, start: jax.Array
) -> tuple[Any, jax.Array]:
    """Uniformly random actions."""
    return carry, jax.random.randint(key, start.shape, 0, NUM_ACTIONS)


def expert_policy(env: TwinEnv, params: Params) -> Act:
    """The game's scripted expert (it reads the state), as an `Act`."""
    if env.game.expert is None:
        raise ValueError(f"{env.game.name} has no expert policy")
    expert = jax.vmap(lambda state: env.game.expert(state, env.config, params))
    return lambda key, obs, state, carry, start: (carry, expert(state).astype(jnp.int32))


def start_loop(env: Any, params: Params, key: jax.Array, num_envs: int, carry: Any = ()) -> Loop:
    """`num_envs` envs reset from `key`, with the policy's initial `carry`."""
    key_reset, key = jax.random.split(key)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(
        jax.random.split(key_reset, num_envs), params
    )
    zeros, first = jnp.zeros(num_envs), jnp.ones(num_envs, bool)
    return Loop(key, obs, state, carry, first, zeros, zeros, ~first)


def advance(env: Any, params: Params, act: Act, loop: Loop) -> tuple[Loop, Step]:
    """One policy step and one env step of every env (episodes auto-reset)."""
    key, key_act, key_step = jax.random.split(loop.key, 3)
    carry, action = act(key_act, loop.obs, loop.state, loop.carry, loop.start)
    obs, state, reward, terminated, truncated, info = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
        jax.random.split(key_step, len(action)), loop.state, action, params
    )
    done = terminated | truncated
    episode_return = loop.episode_return + reward
    first_return = loop.first_return + jnp.where(loop.finished, 0.0, reward)
    step = Step(
        loop.obs, loop.state, loop.start, action, reward, terminated, truncated,
        info["final_state"], episode_return,
    )  # fmt: skip
    next_loop = Loop(
        key, obs, state, carry, done, jnp.where(done, 0.0, episode_return), first_return,
        loop.finished | done,
    )  # fmt: skip
    return next_loop, step


def run(
    env: Any,
    params: Params,
    act: Act,
    key: jax.Array,
    num_envs: int,
    num_steps: int,
    carry: Any = (),
    record: Callable[[Step], Any] | None = None,
) -> tuple[Loop, Any]:
    """`num_steps` steps of `num_envs` envs under `act`, in one `lax.scan`: the final `Loop` and
    every step's `record(step)` (default: the `Step`), stacked time-major.

    Jittable (`env`, `act`, `num_envs`, `num_steps` and `record` static). Everything random comes
    from `key`, so twins given the same key and policy share states, actions and rewards.
    """

    def body(loop: Loop, _) -> tuple[Loop, Any]:
        loop, step = advance(env, params, act, loop)
        return loop, step if record is None else record(step)

    return jax.lax.scan(body, start_loop(env, params, key, num_envs, carry), None, num_steps)


def first_episode_returns(
    env: Any, params: Params, act: Act, key: jax.Array, num_envs: int, carry: Any = ()
) -> jax.Array:
    """float32[num_envs]: the return of each env's first episode, stepping (`lax.while_loop`)
    until every env has ended one; truncation bounds that by `max_steps_in_episode` steps."""
    loop = jax.lax.while_loop(
        lambda loop: ~jnp.all(loop.finished),
        lambda loop: advance(env, params, act, loop)[0],
        start_loop(env, params, key, num_envs, carry),
    )
    return loop.first_return


def completed_returns(episode_return: jax.Array, done: jax.Array) -> np.ndarray:
    """The returns of the episodes that ended within stacked records ([T, B] `Step.episode_return`
    and terminated | truncated), in time order."""
    return np.asarray(episode_return)[np.asarray(done)]


_run = jax.jit(run, static_argnums=(0, 2, 4, 5))
_first_episode_returns = jax.jit(first_episode_returns, static_argnums=(0, 2, 4))


def _same_abstract_types(a: Any, b: Any) -> bool:
    """Same tree, shapes, dtypes and weak types: what decides whether `jit` traces again."""
    sig = lambda tree: jax.tree.map(lambda x: (x.shape, x.dtype, x.weak_type), tree)
    return jax.tree.structure(a) == jax.tree.structure(b) and sig(a) == sig(b)


def check_env(
    env: TwinEnv, params: Params | None = None, num_envs: int = 4, num_steps: int = 48
) -> Step:
    """Spaces, dtypes, auto-reset, truncation, return bounds, determinism and no retracing.

    Returns the records (a stacked `Step`) of the random-policy `run` it checked.
    """
    params = env.default_params if params is None else params
    size = env.obs_size
    space = env.observation_space(params)
    assert space.shape == (size, size, 3) and space.dtype == jnp.uint8, f"{env.name}: space {space}"
    assert env.action_space(params).n == NUM_ACTIONS, f"{env.name}: not Discrete({NUM_ACTIONS})"

    key = jax.random.key(0)
    compiled = _run.lower(env, params, random_policy, key, num_envs, num_steps).compile(
        FAST_COMPILE
    )
    last, records = compiled(params, key)
    for name, frames in (("reset", records.obs[0]), ("step", records.obs[1:]), ("last", last.obs)):
        assert frames.dtype == jnp.uint8, f"{env.name}: {name} frames are {frames.dtype}, not uint8"
        assert frames.shape[-3:] == (size, size, 3), (
            f"{env.name}: {name} frame shape {frames.shape}"
        )
    assert bool(jnp.all(records.state.time[0] == 0)), f"{env.name}: reset state has time != 0"

    done = np.asarray(records.terminated | records.truncated)
    time = np.concatenate([records.state.time[1:], last.state.time[None]])  # after each step
    final_time = np.asarray(records.final_state.time)
    assert not np.any(np.asarray(records.terminated & records.truncated)), "both flags set"
    assert np.all(time[done] == 0), f"{env.name}: no auto-reset after an episode ended"
    assert np.all(time[~done] == final_time[~done]), f"{env.name}: time did not advance by one"
    truncated = np.asarray(records.truncated)
    assert np.all(final_time[truncated] == int(params.max_steps_in_episode)), "early truncation"
    assert np.all(final_time[~done] < int(params.max_steps_in_episode)), "late truncation"

    assert np.all(np.isfinite(records.reward)), f"{env.name}: non-finite reward"
    returns = np.asarray(records.episode_return)
    assert np.all(np.abs(returns) <= RETURN_BOUND), (
        f"{env.name}: returns {returns[np.abs(returns) > RETURN_BOUND]} outside [-1, 1]"
    )

    again = compiled(params, key)[1]
    same = jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)), records, again)
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
) -> tuple[Step, Step]:
    """Both variants conform, and under the same keys and actions they share states, rewards and
    flags while their frames differ. Returns the records of both rollouts (MDP, POMDP)."""
    mdp_records = check_env(mdp, params, num_envs, num_steps)
    pomdp_records = check_env(pomdp, params, num_envs, num_steps)
    for name in ("state", "final_state", "reward", "terminated", "truncated"):
        same = jax.tree.map(
            jnp.array_equal, getattr(mdp_records, name), getattr(pomdp_records, name)
        )
        assert all(bool(s) for s in jax.tree.leaves(same)), f"{mdp.name}: twins differ in {name}"
    assert not bool(jnp.array_equal(mdp_records.obs, pomdp_records.obs)), (
        f"{mdp.name}: MDP and POMDP frames are identical over the whole rollout"
    )
    return mdp_records, pomdp_records


def check_expert(env_id: str, num_envs: int = 32) -> tuple[float, float]:
    """The game's scripted expert reaches the threshold kept with the game,
    `game.expert_return[difficulty]` (mean return of the first episodes of `num_envs` envs from
    key 0, 64 px), and random play stays below it. Returns both mean returns (expert, random).
    """
    env, params = make(env_id, obs_size=64)
    threshold = env.game.expert_return[env_id.removeprefix(env.game.name)]
    key = jax.random.key(0)
    expert, random = (
        float(jnp.mean(_first_episode_returns(env, params, act, key, num_envs)))
        for act in (expert_policy(env, params), random_policy)
    )
    assert expert >= threshold, f"{env_id}: the expert's mean return {expert} < {threshold}"
    assert random < threshold, f"{env_id}: random play reaches the threshold {threshold}"
    return expert, random
