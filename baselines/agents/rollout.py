"""Collecting tapes: `num_envs` envs stepped `rollout_steps` times by a recurrent policy.

The memory carry, the `start` flags and the previous actions run on across rollouts, so a tape's
first step continues whatever episode was running; the tape keeps the carry it started from, and
training replays the whole tape (observations, start flags and previous actions) through the
memory's sequence path from that carry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from popgym_arcade_twins.wrappers import LogWrapper


@struct.dataclass
class Actors:
    """The acting side of training: envs, their last observation, and the memory carry."""

    env_state: Any  # LogState batch [B]
    obs: jax.Array  # [B, ...] the observation the policy acts on next
    start: jax.Array  # bool[B]: `obs` is the first of an episode
    carry: Any  # memory carry [B, ...] before `obs` is consumed
    prev_action: jax.Array | None = None  # int32[B]: the action before `obs` (ignored at start)


class Steps(NamedTuple):
    """T steps of B envs, time-major."""

    obs: jax.Array  # [T, B, ...]
    start: jax.Array  # bool[T, B]
    prev_action: jax.Array  # int32[T, B]: the action before obs t (ignored where start)
    action: jax.Array  # int32[T, B]
    reward: jax.Array  # float32[T, B]
    terminated: jax.Array  # bool[T, B]
    truncated: jax.Array  # bool[T, B]
    value: jax.Array  # float32[T, B]: the acting pass's value of obs t (max Q, or V)
    final_value: jax.Array  # float32[T, B]: value of the final observation where truncated
    extras: Any  # [T, B] per-step data of the algorithm (e.g. log-probabilities)
    episode_done: jax.Array  # bool[T, B]: an episode ended at step t
    episode_return: jax.Array  # float32[T, B]: its return, where `episode_done`


class Tape(NamedTuple):
    """The steps, plus what training needs to replay and bootstrap them."""

    steps: Steps
    carry: Any  # memory carry [B, ...] before the first step
    next_value: jax.Array  # float32[B]: value of the observation after the last step


# apply(params, carry, obs[B], start[B], prev_action[B]) -> (carry, outputs); the network's
# single-step path.
StepFn = Callable[[Any, Any, jax.Array, jax.Array, jax.Array], tuple[Any, Any]]
# act(key, outputs) -> (action int32[B], value float32[B], extras)
ActFn = Callable[[jax.Array, Any], tuple[jax.Array, jax.Array, Any]]
# value(outputs) -> float32[B]
ValueFn = Callable[[Any], jax.Array]


def reset_actors(
    key: jax.Array, env: LogWrapper, env_params: Any, carry: Any, num_envs: int
) -> Actors:
    obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(
        jax.random.split(key, num_envs), env_params
    )
    start = jnp.ones(num_envs, bool)
    return Actors(env_state, obs, start, carry, jnp.zeros(num_envs, jnp.int32))


def collect(
    key: jax.Array,
    actors: Actors,
    params: Any,
    env: LogWrapper,
    env_params: Any,
    apply_step: StepFn,
    act: ActFn,
    value: ValueFn,
    num_steps: int,
) -> tuple[Actors, Tape]:
    """Step every env `num_steps` times; returns the advanced actors and the tape."""
    num_envs = actors.start.shape[0]
    step_envs = jax.vmap(env.step, in_axes=(0, 0, 0, None))
    observe = jax.vmap(env.observe, in_axes=(None, 0, None, None))

    def one_step(actors: Actors, key: jax.Array):
        key_act, key_env = jax.random.split(key)
        carry, outputs = apply_step(
            params, actors.carry, actors.obs, actors.start, actors.prev_action
        )
        action, acting_value, extras = act(key_act, outputs)
        obs, env_state, reward, terminated, truncated, info = step_envs(
            jax.random.split(key_env, num_envs), actors.env_state, action, env_params
        )

        def final_values():  # drawn and evaluated only on steps where some env truncated
            final_obs = observe(key_env, info["final_state"], None, env_params)
            not_start = jnp.zeros(num_envs, bool)
            _, final_outputs = apply_step(params, carry, final_obs, not_start, action)
            return value(final_outputs)

        final_value = jax.lax.cond(jnp.any(truncated), final_values, lambda: jnp.zeros(num_envs))
        record = (
            actors.obs, actors.start, actors.prev_action, action, reward, terminated, truncated,
            acting_value, final_value, extras, info["returned_episode"],
            info["returned_episode_return"],
        )  # fmt: skip
        return Actors(env_state, obs, terminated | truncated, carry, action), record

    first_carry = actors.carry
    actors, records = jax.lax.scan(one_step, actors, jax.random.split(key, num_steps))
    _, outputs = apply_step(params, actors.carry, actors.obs, actors.start, actors.prev_action)
    return actors, Tape(Steps(*records), first_carry, value(outputs))
