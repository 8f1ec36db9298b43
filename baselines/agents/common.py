"""The math of the baselines, as small pure functions over time-major tapes.

A tape holds T consecutive steps of B envs: arrays of shape [T, B, ...]. Step t consumed
observation t and produced reward t, `terminated` t and `truncated` t. Values are estimated for
each observation during the rollout; `next_values` [B] is the value of the observation after the
tape, and `final_values` [T, B] the value of the final observation at a truncated step (the frame
before the auto-reset; ignored elsewhere). Terminations stop bootstrapping; truncations bootstrap
from the final observation; neither lets a return run into the next episode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _successor_values(values, next_values, terminated, truncated, final_values):
    """Value of what follows step t within its episode: 0 after a termination, the final
    observation's value after a truncation, else the value of observation t+1."""
    following = jnp.concatenate([values[1:], next_values[None]])
    return jnp.where(terminated, 0.0, jnp.where(truncated, final_values, following))


def lambda_returns(rewards, values, next_values, terminated, truncated, final_values, gamma, lam):
    """Q(lambda) / TD(lambda) returns [T, B]:
    G_t = r_t + gamma * ((1 - lam) V_{t+1} + lam G_{t+1}) inside an episode,
    G_t = r_t + gamma * bootstrap_t on the step that ends it (0 or the final value),
    and G_{T-1} bootstraps from `next_values`. For Q(lambda), values are max_a Q."""
    successors = _successor_values(values, next_values, terminated, truncated, final_values)
    continues = ~(terminated | truncated)

    def backward(next_return, step):
        reward, successor, cont = step
        blended = jnp.where(cont, (1 - lam) * successor + lam * next_return, successor)
        g = reward + gamma * blended
        return g, g

    _, returns = jax.lax.scan(backward, next_values, (rewards, successors, continues), reverse=True)
    return returns


def gae(rewards, values, next_values, terminated, truncated, final_values, gamma, lam):
    """Generalized advantage estimates [T, B] and their value targets (advantages + values)."""
    successors = _successor_values(values, next_values, terminated, truncated, final_values)
    deltas = rewards + gamma * successors - values
    continues = ~(terminated | truncated)

    def backward(next_advantage, step):
        delta, cont = step
        advantage = delta + gamma * lam * cont * next_advantage
        return advantage, advantage

    _, advantages = jax.lax.scan(
        backward, jnp.zeros_like(next_values), (deltas, continues), reverse=True
    )
    return advantages, advantages + values


def q_diagnostics(q: jax.Array, action: jax.Array, targets: jax.Array) -> dict[str, jax.Array]:
    """Health of Q-values q [..., A] and actions taken [...]: mean Q of the taken actions and
    mean target, mean gap between the two best actions' Q, and the share of greedy actions equal
    to the most common greedy action (1: the same action everywhere)."""
    chosen = jnp.take_along_axis(q, action[..., None], axis=-1)[..., 0]
    top_two = jax.lax.top_k(q, 2)[0]
    greedy = jnp.argmax(q, -1).ravel()
    counts = jnp.zeros(q.shape[-1]).at[greedy].add(1.0)
    return {
        "q_taken": jnp.mean(chosen),
        "q_target": jnp.mean(targets),
        "q_margin": jnp.mean(top_two[..., 0] - top_two[..., 1]),
        "greedy_mode_share": jnp.max(counts) / greedy.size,
    }


def env_minibatches(key: jax.Array, tape, carry, num_minibatches: int):
    """Shuffle the envs of a tape and split them into `num_minibatches` smaller tapes.

    Whole streams stay together, so each minibatch still holds T consecutive steps per env and
    the memory runs over them from the carry of the tape's first step. `tape` leaves [T, B, ...]
    become [num_minibatches, T, B / num_minibatches, ...]; `carry` leaves [B, ...] become
    [num_minibatches, B / num_minibatches, ...], with the same permutation.
    """
    batch = jax.tree.leaves(tape)[0].shape[1]
    if batch % num_minibatches:
        raise ValueError(f"{batch} envs do not split into {num_minibatches} minibatches")
    order = jax.random.permutation(key, batch).reshape(num_minibatches, -1)
    tape = jax.tree.map(lambda leaf: jnp.moveaxis(leaf[:, order], 1, 0), tape)
    carry = jax.tree.map(lambda leaf: leaf[order], carry)
    return tape, carry
