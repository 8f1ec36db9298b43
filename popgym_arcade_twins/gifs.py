"""Episodes rendered MDP | POMDP side by side from one state trajectory, written as GIFs."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import jax
import jax.numpy as jnp
import numpy as np

from popgym_arcade_twins.core import TwinEnv
from popgym_arcade_twins.registry import make_twins
from popgym_arcade_twins.render import canvas, color, to_rgb
from popgym_arcade_twins.testing import expert_policy, random_policy, run

POLICIES = ("expert", "random")


def episode_states(env: TwinEnv, key: jax.Array, policy: str, max_steps: int):
    """States of one episode (reset state first, final state last) and its return.

    `policy` is "random" or "expert" (the game's state-reading oracle, if it has one).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    if policy == "expert" and env.game.expert is None:
        raise ValueError(f"{env.game.name} has no expert policy; use policy='random'")
    params = env.default_params
    act = random_policy if policy == "random" else expert_policy(env, params)
    record = lambda step: (
        step.state,
        step.final_state,
        step.reward,
        step.terminated | step.truncated,
    )
    _, steps = jax.jit(lambda key: run(env, params, act, key, 1, max_steps, record=record))(key)
    first, finals, rewards, done = jax.tree.map(lambda x: x[:, 0], steps)
    length = int(jnp.argmax(done)) + 1 if bool(jnp.any(done)) else max_steps
    states = jax.tree.map(lambda a, b: jnp.concatenate([a[:1], b[:length]]), first, finals)
    return states, float(jnp.sum(rewards[:length]))


def side_by_side(mdp: TwinEnv, pomdp: TwinEnv, states) -> np.ndarray:
    """uint8[T, H, 2S + gap, 3]: each state drawn by both twins under an MDP / POMDP header."""
    size = mdp.obs_size
    frames = jax.jit(jax.vmap(lambda s: (mdp.draw(s), pomdp.draw(s))))(states)
    scale = max(1, size // 64)
    gap, header = 2 * scale, 7 * scale
    label_row = canvas.blank(header, 2 * size + gap, "background")
    for text, left in (("MDP", 0), ("POMDP", size + gap)):
        label_row = canvas.text(label_row, text, scale, left + scale, scale, "text")
    label_row = np.asarray(to_rgb(label_row))
    mdp_frames, pomdp_frames = (np.asarray(f) for f in frames)
    divider = np.broadcast_to(np.asarray(to_rgb(color("grid"))), (*mdp_frames.shape[:2], gap, 3))
    body = np.concatenate([mdp_frames, divider, pomdp_frames], axis=2)
    return np.concatenate([np.broadcast_to(label_row, (len(body), *label_row.shape)), body], axis=1)


def render_gif(
    env_id: str,
    path: str | Path,
    policy: str = "expert",
    seed: int = 0,
    obs_size: int = 128,
    max_steps: int = 300,
    fps: int = 12,
) -> dict:
    """Write one episode of `env_id` as an MDP | POMDP GIF; returns a summary of it."""
    mdp, pomdp, _ = make_twins(env_id, obs_size=obs_size)
    states, episode_return = episode_states(mdp, jax.random.key(seed), policy, max_steps)
    frames = side_by_side(mdp, pomdp, states)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimsave(path, list(frames), duration=1000 / fps, loop=0)
    return {
        "id": env_id,
        "path": str(path),
        "frames": len(frames),
        "return": round(episode_return, 4),
    }
