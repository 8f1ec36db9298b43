"""What a trained policy remembers: pixel saliency, recall density and OOD injection.

Every function reads one trajectory of a `harness.Policy`: frames `obs` [T, S, S, 3] (uint8, or
float on the same 0-255 scale) and `start` bool[T] (start[0] true), of which the first `length`
steps, n, are one episode's prefix (later steps are ignored; `harness.first_episode_lengths`
finds n in a rollout). The policy runs from a fresh carry. The probed output is the greedy
action's score (Q-value or logit) at the last step, n - 1. Vmap over trajectories; jit at the
call site.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from popgym_arcade_twins.harness import Policy
from popgym_arcade_twins.wrappers import noise_frame


def scores_along(policy: Policy, params: Any, obs: jax.Array, start: jax.Array) -> jax.Array:
    """float[T, A]: the policy's scores at every step of one trajectory."""

    def one_step(carry, inputs):
        frame, is_start = inputs
        carry, scores = policy.apply(params, carry, frame[None], is_start[None])
        return carry, scores[0]

    return jax.lax.scan(one_step, policy.initialize_carry((1,)), (obs, start))[1]


def _last_score(frames: jax.Array, policy: Policy, params: Any, start, length) -> jax.Array:
    scores = scores_along(policy, params, frames, start)[length - 1]
    return scores[jnp.argmax(jax.lax.stop_gradient(scores))]


def pixel_gradients(
    policy: Policy, params: Any, obs: jax.Array, start: jax.Array, length: jax.Array | int
) -> jax.Array:
    """float32[T, S, S, 3]: d score / d pixel of the last step's greedy score with respect to
    every pixel of every frame; zero from step `length` on. `saliency` and `density_of` read it,
    so a caller that wants both computes it once."""
    return jax.grad(_last_score)(obs.astype(jnp.float32), policy, params, start, length)


def saliency(
    policy: Policy, params: Any, obs: jax.Array, start: jax.Array, length: jax.Array | int
) -> jax.Array:
    """float32[T, S, S]: |d score / d pixel| (`pixel_gradients`) summed over colour channels."""
    return saliency_of(pixel_gradients(policy, params, obs, start, length))


def saliency_of(gradients: jax.Array) -> jax.Array:
    """float32[..., S, S] from `pixel_gradients` [..., S, S, 3]."""
    return jnp.sum(jnp.abs(gradients), -1)


def recall_density(
    policy: Policy,
    params: Any,
    obs: jax.Array,
    start: jax.Array,
    lengths: jax.Array,
    num_bins: int = 10,
) -> jax.Array:
    """float32[num_bins]: where in its past the policy looks, over normalized time t/n.

    For N trajectories (`obs` [N, T, ...], `start` [N, T], `lengths` int[N]): the gradient norm
    of the last step's greedy score with respect to each frame t < n, normalized to sum 1 per
    trajectory, placed at t/n for t = 1..n (the last frame at 1), summed into `num_bins` equal
    bins of (0, 1] and averaged over the trajectories whose gradient is not zero everywhere.
    Returned as a density (bin mass x num_bins): 1 in every bin for a model that weighs all
    frames equally (n a multiple of num_bins), num_bins in the last bin and 0 elsewhere for one
    that sees only the last frame.
    """
    gradients = jax.vmap(pixel_gradients, (None, None, 0, 0, 0))(
        policy, params, obs, start, lengths
    )
    return density_of(gradients, lengths, num_bins)


def _frame_weights(grads: jax.Array) -> jax.Array:
    """float32[T]: each frame's share of the gradient norm (NaN where it is zero everywhere)."""
    norms = jnp.sqrt(jnp.sum(jnp.square(grads), axis=tuple(range(1, grads.ndim))))
    return norms / jnp.sum(norms)


def density_of(gradients: jax.Array, lengths: jax.Array, num_bins: int = 10) -> jax.Array:
    """`recall_density` from `pixel_gradients` of N trajectories [N, T, ...] and their lengths."""

    def one(grads, length):
        weights = _frame_weights(grads)
        t = jnp.arange(1, grads.shape[0] + 1)
        bins = (t * num_bins + length - 1) // length - 1  # ceil(t / n * num_bins) - 1
        mass = jax.ops.segment_sum(jnp.where(t <= length, weights, 0.0), bins, num_bins)
        return mass * num_bins  # bins >= num_bins (t > n) are dropped by segment_sum

    return jnp.nanmean(jax.vmap(one)(gradients, lengths), axis=0)


SMEARING_CUTOFF = 0.66


def early_mass(
    gradients: jax.Array, lengths: jax.Array, cutoff: float = SMEARING_CUTOFF
) -> jax.Array:
    """Value smearing as a number: float32[N], the share of each trajectory's recall (the
    weights of `recall_density`, frame t of n at t/n) on frames with t/n < `cutoff`.

    A policy that needs only the current frame, as an optimal one on an MDP does, gives 0; one
    that weighs all frames equally gives about `cutoff`. NaN where the gradient is zero."""

    def one(grads, length):
        t = jnp.arange(1, grads.shape[0] + 1)
        early = (t < cutoff * length) & (t <= length)
        return jnp.sum(jnp.where(early, _frame_weights(grads), 0.0))

    return jax.vmap(one)(gradients, lengths)


def inject_noise(key: jax.Array, obs: jax.Array, at: jax.Array | int) -> jax.Array:
    """`obs` [T, ...] with frame `at` replaced by uniform noise (see `wrappers.noise_frame`)."""
    return obs.at[at].set(noise_frame(key, obs.shape[1:]).astype(obs.dtype))


def shuffle_prefix(key: jax.Array, obs: jax.Array, until: jax.Array | int) -> jax.Array:
    """`obs` [T, ...] with frames 0..until-1 in a random order and the rest in place."""
    t = jnp.arange(obs.shape[0])
    return obs[jnp.argsort(jnp.where(t < until, jax.random.uniform(key, t.shape), 1.0 + t))]


def ood_effect(
    policy: Policy, params: Any, obs: jax.Array, start: jax.Array, perturbed: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """How much perturbing a trajectory's frames (`inject_noise`, `shuffle_prefix`) moves the
    policy at every step: (max over actions of |score change| float32[T], whether the greedy
    action changed bool[T])."""
    clean = scores_along(policy, params, obs, start)
    moved = scores_along(policy, params, perturbed, start)
    changed = jnp.argmax(clean, -1) != jnp.argmax(moved, -1)
    return jnp.max(jnp.abs(moved - clean), -1), changed


def ood_summary(
    clean: jax.Array,
    moved: jax.Array,
    first: jax.Array | int,
    num_steps: int,
    length: jax.Array | int,
) -> tuple[jax.Array, jax.Array]:
    """The OOD effect as two numbers, from the scores [T, A] of a trajectory and of its
    perturbed copy (`scores_along` of each), over the `num_steps` steps from `first` (those
    before `length`): the mean relative change of the scores, mean |score change| / mean |score|
    over actions, and the share of steps whose greedy action changed."""
    relative = jnp.mean(jnp.abs(moved - clean), -1) / (jnp.mean(jnp.abs(clean), -1) + 1e-8)
    changed = jnp.argmax(clean, -1) != jnp.argmax(moved, -1)
    t = jnp.arange(clean.shape[0])
    window = (t >= first) & (t < first + num_steps) & (t < length)
    count = jnp.maximum(jnp.sum(window), 1)
    return jnp.sum(jnp.where(window, relative, 0.0)) / count, jnp.sum(window & changed) / count
