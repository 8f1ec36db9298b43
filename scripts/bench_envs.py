"""Environment throughput: compile seconds and steps/s of a jitted, vmapped `lax.scan` rollout.

Every pixel of every frame is consumed (a max-reduction folded into a checksum), so no rendering is
optimized away, while the consumer itself stays as cheap as possible. Prints one JSON
line per (id, variant, num_envs).

    python scripts/bench_envs.py --ids CountRecallEasy --num-envs 64
    python scripts/bench_envs.py --all            # every id, both variants, 64 and 1024 envs
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp

import popgym_arcade_twins as pat
from popgym_arcade_twins.testing import random_policy, run


def consume(frames: jax.Array) -> jax.Array:
    """A cheap function of every pixel of a batch of frames."""
    return jnp.sum(jnp.max(frames, axis=(1, 2, 3)), dtype=jnp.uint32)


def make_rollout(env, params, num_envs: int, num_steps: int):
    """A jittable `rollout(key) -> checksum`: `num_steps` random-action steps of `num_envs` envs."""

    def rollout(key):
        record = lambda step: consume(step.obs)
        last, checksums = run(env, params, random_policy, key, num_envs, num_steps, record=record)
        return jnp.sum(checksums, dtype=jnp.uint32) + consume(last.obs)

    return rollout


def compile_rollout(
    env_id: str,
    partial_obs: bool,
    obs_size: int,
    num_envs: int,
    num_steps: int,
    options: dict | None = None,
) -> tuple[Callable[[jax.Array], jax.Array], float]:
    """The compiled rollout of `make_rollout` and its compile seconds (tracing included);
    `options` are XLA compile options."""
    env, params = pat.make(env_id, partial_obs=partial_obs, obs_size=obs_size)
    rollout = jax.jit(make_rollout(env, params, num_envs, num_steps))
    start = time.perf_counter()
    compiled = rollout.lower(jax.random.key(0)).compile(options)
    return compiled, time.perf_counter() - start


def time_rollout(compiled: Callable[[jax.Array], jax.Array]) -> float:
    """Seconds of one call of a compiled rollout, after a warm-up call."""
    compiled(jax.random.key(0)).block_until_ready()
    start = time.perf_counter()
    compiled(jax.random.key(1)).block_until_ready()
    return time.perf_counter() - start


def record(
    env_id: str, partial_obs: bool, obs_size: int, num_envs: int, num_steps: int,
    compile_s: float, run_s: float,
) -> dict:  # fmt: skip
    """The JSON line of one measurement."""
    return {
        "id": env_id,
        "variant": "POMDP" if partial_obs else "MDP",
        "obs_size": obs_size,
        "num_envs": num_envs,
        "num_steps": num_steps,
        "compile_s": round(compile_s, 2),
        "steps_per_s": round(num_envs * num_steps / run_s),
        "backend": jax.default_backend(),
    }


def bench(env_id: str, partial_obs: bool, obs_size: int, num_envs: int, num_steps: int) -> dict:
    setting = (env_id, partial_obs, obs_size, num_envs, num_steps)
    compiled, compile_s = compile_rollout(*setting)
    return record(*setting, compile_s, time_rollout(compiled))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--ids", nargs="*", default=["CountRecallEasy", "MineSweeperEasy", "CartPoleEasy"]
    )
    parser.add_argument("--all", action="store_true", help="every registered id")
    parser.add_argument("--num-envs", type=int, nargs="*", default=None)
    parser.add_argument("--obs-size", type=int, default=128)
    parser.add_argument("--env-steps", type=int, default=65536, help="env steps per measurement")
    args = parser.parse_args()
    ids = pat.registered_envs() if args.all else args.ids
    if args.num_envs:
        sizes = args.num_envs
    elif args.all:
        sizes = [64, 1024]
    else:
        sizes = [1, 64, 1024] + ([16384] if jax.default_backend() == "gpu" else [])
    for env_id in ids:
        for partial_obs in (False, True):
            for num_envs in sizes:
                num_steps = max(16, args.env_steps // num_envs)
                print(
                    json.dumps(bench(env_id, partial_obs, args.obs_size, num_envs, num_steps)),
                    flush=True,
                )


if __name__ == "__main__":
    main()
