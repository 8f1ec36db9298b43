"""Learning benchmark: return curves and env steps/s of the baselines on two games, both twins.

Default runs: PQN+LRU and PPO+GRU on CartPoleEasy and CountRecallEasy, MDP and POMDP, each with the
same env-step budget (sized so one run stays short on a small CPU machine). Prints one JSON line per
run (final return, the return of a uniformly random policy for reference, env steps/s, wall time)
and writes the curves (curves.json, and curves.png when matplotlib is installed) to --out.

    python scripts/bench_train.py                                  # all 8 runs
    python scripts/bench_train.py --runs pqn:lru:CartPoleEasy:mdp --steps 1.2e6
    python scripts/bench_train.py --num-envs 512 --steps 1e7       # on a GPU
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jax
import numpy as np

import popgym_arcade_twins as pat
from baselines.agents.registry import config_type
from baselines.experiments.experiment import run
from popgym_arcade_twins import testing

DEFAULT_RUNS = [
    f"{algo}:{memory}:{env_id}:{variant}"
    for algo, memory in (("pqn", "lru"), ("ppo", "gru"))
    for env_id in ("CartPoleEasy", "CountRecallEasy")
    for variant in ("mdp", "pomdp")
]


def random_return(env_id: str, obs_size: int, num_envs: int = 64, num_steps: int = 1000) -> float:
    """Mean return of the episodes a uniformly random policy finishes in a rollout."""
    env, params = pat.make(env_id, obs_size=obs_size)
    record = lambda step: (step.episode_return, step.terminated | step.truncated)
    rollout = lambda key: testing.run(
        env, params, testing.random_policy, key, num_envs, num_steps, record=record
    )
    _, (episode_return, done) = jax.jit(rollout)(jax.random.key(0))
    return float(np.mean(testing.completed_returns(episode_return, done)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", nargs="*", default=DEFAULT_RUNS, help="algorithm:memory:env_id:mdp|pomdp"
    )
    parser.add_argument("--steps", type=float, default=1e6, help="env steps per seed and run")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--obs-size", type=int, default=128)
    parser.add_argument("--out", default="runs/bench-train")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curves = {}
    for spec in args.runs:
        algorithm, memory, env_id, variant = spec.split(":")
        config = config_type(algorithm)(
            memory=memory, num_envs=args.num_envs, total_steps=int(args.steps)
        )
        result = run(
            env_id, variant == "pomdp", config, seeds=list(range(args.seeds)),
            obs_size=args.obs_size, progress=False,
        )  # fmt: skip
        returns = np.nanmean(result.curves["episode_return"], axis=0)
        last = max(1, len(returns) // 10)
        record = {
            "run": spec,
            "env_steps": int(result.env_steps[-1]),
            "final_return": round(float(np.nanmean(returns[-last:])), 4),
            "random_return": round(random_return(env_id, args.obs_size), 4),
            "steps_per_s": round(result.steps_per_s),
            "wall_s": round(result.wall_s, 1),
            "backend": jax.default_backend(),
        }
        print(json.dumps(record), flush=True)
        curves[spec] = {
            "env_steps": result.env_steps.tolist(),
            "return": np.nan_to_num(returns).tolist(),
        }
    (out / "curves.json").write_text(json.dumps(curves))
    plot(curves, out / "curves.png")


def plot(curves: dict, path: Path) -> None:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    for spec, curve in curves.items():
        ax.plot(curve["env_steps"], curve["return"], label=spec)
    ax.set(xlabel="env steps", ylabel="episode return", title="Baselines on CPU")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
