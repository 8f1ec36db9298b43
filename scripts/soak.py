"""Soak test: long random and expert rollouts of every registered id, both twins, checked.

For each id, variant (MDP, POMDP) and policy (uniform random actions; the game's scripted
expert, where it has one) it runs `--steps` env steps (all envs together, default 10^6 at 64
envs) in one jitted `lax.scan` that carries episodes across steps and folds the checks into
its carry, so no frame is kept: no NaN or inf in rewards or float state, every frame uint8 (and
every pixel drawn: its min and max are taken), every episode return (and every partial one)
within [-1, 1], every episode length within `max_steps_in_episode`. Prints one JSON line per id
with `pass` and the numbers of each run; exits 1 if any id fails.

    python scripts/soak.py                     # every id: 4 runs of ~1 min each per id (2 cores)
    python scripts/soak.py --ids CartPoleEasy TetrisHard --steps 1e4

The rollout is written here rather than with `testing.rollout`, which keeps every frame of every
step (10^6 frames) and starts from a reset on each call; `act` is the one piece to swap.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import jax
import jax.numpy as jnp

import popgym_arcade_twins as pat
from popgym_arcade_twins.core import NUM_ACTIONS, TwinEnv
from popgym_arcade_twins.testing import RETURN_BOUND


def policies(env: TwinEnv) -> dict[str, Any]:
    """`act(key, states, params) -> actions` for a batch of states, by name."""
    acts = {"random": lambda key, states, params: jax.random.randint(
        key, states.time.shape, 0, NUM_ACTIONS
    )}  # fmt: skip
    if env.game.expert is not None:
        expert = jax.vmap(env.game.expert, in_axes=(0, None, None))
        acts["expert"] = lambda key, states, params: expert(states, env.config, params)
    return acts


def soak(env: TwinEnv, params, act, num_envs: int, num_steps: int, key: jax.Array) -> dict:
    """The checked numbers of `num_steps` steps of `num_envs` envs acting by `act`."""
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def body(carry, key):
        state, running, stats = carry
        key_act, key_step = jax.random.split(key)
        action = act(key_act, state, params)
        obs, state, reward, terminated, truncated, info = step(
            jax.random.split(key_step, num_envs), state, action, params
        )
        running = running + reward
        done = terminated | truncated
        floats = [x for x in jax.tree.leaves(state) if jnp.issubdtype(x.dtype, jnp.floating)]
        stats = {
            "nonfinite": stats["nonfinite"]
            + jnp.sum(~jnp.isfinite(reward))
            + sum(jnp.sum(~jnp.isfinite(x)) for x in floats),
            "max_abs_return": jnp.maximum(stats["max_abs_return"], jnp.max(jnp.abs(running))),
            "max_length": jnp.maximum(
                stats["max_length"], jnp.max(jnp.where(done, info["final_state"].time, 0))
            ),
            "episodes": stats["episodes"] + jnp.sum(done),
            "frame_min": jnp.minimum(stats["frame_min"], jnp.min(obs)),
            "frame_max": jnp.maximum(stats["frame_max"], jnp.max(obs)),
        }
        return (state, jnp.where(done, 0.0, running), stats), None

    def run(key):
        key_reset, key_run = jax.random.split(key)
        _, state = jax.vmap(env.reset, in_axes=(0, None))(
            jax.random.split(key_reset, num_envs), params
        )
        stats = {
            "nonfinite": jnp.int32(0), "max_abs_return": jnp.float32(0),
            "max_length": jnp.int32(0), "episodes": jnp.int32(0),
            "frame_min": jnp.uint8(255), "frame_max": jnp.uint8(0),
        }  # fmt: skip
        carry = (state, jnp.zeros(num_envs), stats)
        (_, _, stats), _ = jax.lax.scan(body, carry, jax.random.split(key_run, num_steps))
        return stats

    frame = jax.eval_shape(env.reset, key, params)[0]
    start = time.perf_counter()
    stats = {k: v.item() for k, v in jax.device_get(jax.jit(run)(key)).items()}
    limit = int(params.max_steps_in_episode)
    return stats | {
        "frame_dtype": str(frame.dtype),
        "length_limit": limit,
        "steps": num_envs * num_steps,
        "wall_s": round(time.perf_counter() - start, 2),
        "pass": bool(
            stats["nonfinite"] == 0
            and frame.dtype == jnp.uint8
            and frame.shape == (env.obs_size, env.obs_size, 3)
            and stats["max_abs_return"] <= RETURN_BOUND
            and stats["max_length"] <= limit
        ),
    }


def soak_id(env_id: str, steps: int, num_envs: int, obs_size: int, seed: int = 0) -> dict:
    """Every variant and policy of `env_id`: one JSON-able line, `pass` if all of them pass."""
    mdp, pomdp, params = pat.make_twins(env_id, obs_size=obs_size)
    runs = {}
    for env in (mdp, pomdp):
        for name, act in policies(env).items():
            key = jax.random.key(seed)
            runs[f"{env.name.split('-')[-1]}/{name}"] = soak(
                env, params, act, num_envs, max(1, steps // num_envs), key
            )
    return {"id": env_id, "pass": all(r["pass"] for r in runs.values()), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", nargs="+", help="default: every registered id")
    parser.add_argument("--steps", type=float, default=1e6, help="env steps per run, all envs")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--obs-size", type=int, default=128)
    args = parser.parse_args()
    failed = False
    for env_id in args.ids or pat.registered_envs():
        line = soak_id(env_id, int(args.steps), args.num_envs, args.obs_size)
        failed |= not line["pass"]
        print(json.dumps(line), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
