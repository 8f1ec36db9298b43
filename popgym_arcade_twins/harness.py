"""Evaluating policies on twins: returns, paired rollouts, the observability gap and memory bias.

For a memory model f, an MDP M and its POMDP twin P, J(f, V) is the mean evaluation return of
the policies trained on variant V, one per seed. Every game's episode returns lie in [-1, 1], so
J is normalized by construction and comparable across games. The sign convention (as in the
README's "Why twins"):

    observability gap = J(f, M) - J(f, P)      positive: hiding the state cost f return
    memory bias       = J(f, M) - J(none, M)   negative: memory hurts optimisation on the MDP

Confidence intervals are percentile bootstraps over seeds.

A policy is two pure functions (`Policy`), so anything with a recurrent carry can be evaluated;
`baselines.agents.networks.as_policy` adapts the reference agents. Nothing here jits: jit at the
call site, and vmap over seeds' parameters as you like.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.core import TwinEnv
from popgym_arcade_twins.testing import (
    Act,
    Step,
    expert_policy,
    first_episode_returns,
    random_policy,
    run,
)

VARIANTS = ("MDP", "POMDP")


class Policy(NamedTuple):
    """A recurrent policy.

    `apply(params, carry, obs [B, ...], start bool[B]) -> (carry, scores float[B, A])` takes one
    step: `start` marks the first observation of an episode (the carry resets there) and the
    scores are Q-values or logits. `initialize_carry(batch_shape)` gives a carry whose leaves
    have shape [*batch_shape, ...].
    """

    apply: Callable[[Any, Any, jax.Array, jax.Array], tuple[Any, jax.Array]]
    initialize_carry: Callable[[Sequence[int]], Any]


def choose_actions(key: jax.Array, scores: jax.Array, greedy: bool) -> jax.Array:
    """int32[B]: the argmax of `scores` [B, A], or a sample from softmax(scores) (logits)."""
    if greedy:
        return jnp.argmax(scores, -1).astype(jnp.int32)
    return jax.random.categorical(key, scores).astype(jnp.int32)


def evaluate(
    env: Any,
    env_params: Any,
    policy: Policy,
    params: Any,
    key: jax.Array,
    num_episodes: int,
    greedy: bool = True,
) -> jax.Array:
    """float32[num_episodes]: the returns of `num_episodes` episodes, one per env, run at once.

    The loop stops when every env has ended its first episode; truncation bounds that by
    `max_steps_in_episode` steps.
    """
    act = acting(policy, params, greedy)
    carry = policy.initialize_carry((num_episodes,))
    return first_episode_returns(env, env_params, act, key, num_episodes, carry)


def reference_returns(
    env: TwinEnv, env_params: Any, key: jax.Array, num_episodes: int
) -> dict[str, jax.Array]:
    """float32[num_episodes] returns of the reference policies, as `evaluate` measures a policy:
    "random" (uniform actions) and, where the game has one, "expert" (its scripted expert).
    Neither reads the frames, so under one key both twins of a game give the same returns."""
    policies = {"random": random_policy}
    if env.game.expert is not None:
        policies["expert"] = expert_policy(env, env_params)
    return {
        name: first_episode_returns(env, env_params, act, key, num_episodes)
        for name, act in policies.items()
    }


def acting(policy: Policy, params: Any, greedy: bool) -> Act:
    """`policy` with `params` as an `Act` of the shared runner (`testing.run`)."""

    def act(key: jax.Array, obs: jax.Array, state: Any, carry: Any, start: jax.Array):
        carry, scores = policy.apply(params, carry, obs, start)
        return carry, choose_actions(key, scores, greedy)

    return act


class PairedRollout(NamedTuple):
    """T steps of B envs, time-major: step t acted on the state drawn in `mdp_obs[t]` and
    `pomdp_obs[t]` (the same state, both twins' frames)."""

    mdp_obs: jax.Array  # uint8[T, B, S, S, 3]
    pomdp_obs: jax.Array  # uint8[T, B, S, S, 3]
    start: jax.Array  # bool[T, B]: obs t is the first of an episode
    action: jax.Array  # int32[T, B]
    reward: jax.Array  # float32[T, B]
    done: jax.Array  # bool[T, B]: the episode ended at step t


def paired_rollout(
    mdp: TwinEnv,
    pomdp: TwinEnv,
    env_params: Any,
    policy: Policy,
    params: Any,
    key: jax.Array,
    num_envs: int,
    num_steps: int,
    partial_obs: bool,
    greedy: bool = True,
) -> PairedRollout:
    """One state trajectory per env, drawn by both twins; the policy acts on the frames of the
    variant it was trained on (the POMDP's if `partial_obs`). Episodes auto-reset."""
    check_twins(mdp, pomdp)
    actor, other = (pomdp, mdp) if partial_obs else (mdp, pomdp)
    draw_other = jax.vmap(other.draw)

    def record(step: Step) -> PairedRollout:
        other_obs = draw_other(step.state)
        mdp_obs, pomdp_obs = (other_obs, step.obs) if partial_obs else (step.obs, other_obs)
        done = step.terminated | step.truncated
        return PairedRollout(mdp_obs, pomdp_obs, step.start, step.action, step.reward, done)

    act = acting(policy, params, greedy)
    carry = policy.initialize_carry((num_envs,))
    return run(actor, env_params, act, key, num_envs, num_steps, carry, record)[1]


def check_twins(mdp: TwinEnv, pomdp: TwinEnv) -> None:
    """Raise a ValueError unless `mdp` and `pomdp` are the two variants of one game and size."""
    same = (mdp.game, mdp.config, mdp.obs_size) == (pomdp.game, pomdp.config, pomdp.obs_size)
    if not same or mdp.partial_obs or not pomdp.partial_obs:
        raise ValueError(
            f"expected (MDP, POMDP) twins of one game, config and size (see make_twins); "
            f"got {mdp.name} {mdp.obs_size}px and {pomdp.name} {pomdp.obs_size}px"
        )


def first_episode_lengths(done: jax.Array) -> jax.Array:
    """int32[B]: steps in each env's first episode, from `done` bool[T, B] (T if it never ends)."""
    return jnp.where(jnp.any(done, 0), jnp.argmax(done, 0) + 1, done.shape[0]).astype(jnp.int32)


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A statistic over seeds with a bootstrap confidence interval [low, high] (NaN: no data)."""

    value: float
    low: float
    high: float

    @classmethod
    def missing(cls) -> Estimate:
        return cls(math.nan, math.nan, math.nan)


@dataclasses.dataclass(frozen=True)
class GapBias:
    """One memory model on one game: J on each variant, the gap and the bias (signs as in the
    module docstring) and how many seeds each variant had."""

    env_id: str
    memory: str
    mdp: Estimate
    pomdp: Estimate
    gap: Estimate
    bias: Estimate
    seeds: tuple[int, int]  # (MDP, POMDP)


def bootstrap_difference(
    a: Sequence[float],
    b: Sequence[float] | None = None,
    *,
    rng: np.random.Generator,
    num_resamples: int = 10_000,
    confidence: float = 0.95,
) -> Estimate:
    """mean(a) - mean(b) (mean(a) if `b` is None), with a percentile bootstrap interval:
    `a` and `b` (independent runs, e.g. per-seed returns) are resampled independently."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    samples = [np.asarray(x, np.float64) for x in (a, b) if x is not None]
    if any(x.ndim != 1 or x.size == 0 for x in samples):
        return Estimate.missing()
    means = [rng.choice(x, (num_resamples, x.size)).mean(1) for x in samples]
    value = difference([x.mean() for x in samples])
    return percentile_estimate(value, difference(means), confidence)


def difference(means: Sequence) -> Any:
    """The first of one or two means, less the second if there is one."""
    return means[0] - (means[1] if len(means) > 1 else 0.0)


def percentile_estimate(value: float, draws: np.ndarray, confidence: float) -> Estimate:
    """`value` with the central `confidence` interval of its bootstrap `draws`."""
    tail = 50 * (1 - confidence)
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Estimate(float(value), float(low), float(high))


def gap_and_bias(
    returns: Mapping[tuple[str, str, str], Sequence[float]],
    baseline: str = "none",
    num_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[GapBias]:
    """The gap/bias table from per-seed returns, keyed (env_id, memory, variant), variant in
    `VARIANTS`; one row per (env_id, memory), in the order they first appear. Entries whose
    cells are missing (e.g. the bias without a `baseline` run on the MDP, or of the baseline
    itself) are NaN."""
    unknown = {variant for _, _, variant in returns} - set(VARIANTS)
    if unknown:
        raise ValueError(f"variants must be among {VARIANTS}, got {sorted(unknown)}")
    rng = np.random.default_rng(seed)

    def estimate(*groups):  # the mean of groups[0], less that of groups[1] if given
        if any(group is None for group in groups):
            return Estimate.missing()
        return bootstrap_difference(
            *groups, rng=rng, num_resamples=num_resamples, confidence=confidence
        )

    rows = []
    for env_id, memory in dict.fromkeys((env_id, memory) for env_id, memory, _ in returns):
        on_mdp = returns.get((env_id, memory, "MDP"))
        on_pomdp = returns.get((env_id, memory, "POMDP"))
        without_memory = returns.get((env_id, baseline, "MDP"))
        rows.append(
            GapBias(
                env_id,
                memory,
                mdp=estimate(on_mdp),
                pomdp=estimate(on_pomdp),
                gap=estimate(on_mdp, on_pomdp),
                bias=estimate(on_mdp, without_memory) if memory != baseline else Estimate.missing(),
                seeds=(len(on_mdp or ()), len(on_pomdp or ())),
            )
        )
    return rows
