"""Learning benchmark: return curves and env steps/s of the baselines on two games, both twins.

Default runs: PQN+LRU and PPO+GRU on CartPoleEasy and CountRecallEasy, MDP and POMDP, each with the
same env-step budget (sized so one run stays short on a small CPU machine). Prints one JSON line per
run (final return, the return of a uniformly random policy for reference, env steps/s, wall time)
and writes the curves (curves.json, and curves.png when matplotlib is installed) to --out.

    python scripts/bench_train.py                                  # all 8 runs
    python scripts/bench_train.py --runs pqn:lru:CartPoleEasy:mdp --steps 1.2288e6
    python scripts/bench_train.py --num-envs 512 --steps 1.6384e7   # on a GPU
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jax
import numpy as np

import popgym_arcade_twins as pat
from baselines.agents.config import AgentConfig
from baselines.agents.registry import ALGORITHMS, config_type
from baselines.experiments import cli
from baselines.experiments.experiment import run
from popgym_arcade_twins import tasks, testing

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", nargs="*", default=DEFAULT_RUNS, help="algorithm:memory:env_id:mdp|pomdp"
    )
    parser.add_argument("--seeds", type=cli.positive_integer, default=1, help="seeds 0..N-1")
    parser.add_argument("--obs-size", type=cli.positive_integer, default=128)
    parser.add_argument("--out", default="runs/bench-train")
    names = cli.add_options(
        parser, [algorithm.config_type for algorithm in ALGORITHMS.values()],
        label=lambda cls: cls.algorithm, skip=("memory",), aliases={"total_steps": "--steps"},
    )  # fmt: skip
    args = parser.parse_args(argv)
    runs = [run_config(parser, spec, cli.given(args, names), args.obs_size) for spec in args.runs]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curves = {}
    for spec, (config, env_id, variant) in zip(args.runs, runs, strict=True):
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


def run_config(
    parser: argparse.ArgumentParser, spec: str, values: dict, obs_size: int
) -> tuple[AgentConfig, str, str]:
    """(config, env id, variant) of a run "algorithm:memory:env_id:mdp|pomdp" with the command
    line's `values`; parser.error if any part is bad."""
    parts = spec.split(":")
    if len(parts) != 4 or parts[0] not in ALGORITHMS or parts[3] not in ("mdp", "pomdp"):
        parser.error(f"--runs: expected algorithm:memory:env_id:mdp|pomdp, got {spec!r}")
    algorithm, memory, env_id, variant = parts
    config = cli.agent_config(parser, config_type(algorithm), {"memory": memory, **values})
    cli.build(parser, lambda: tasks.make(env_id, variant == "pomdp", obs_size))
    return config, env_id, variant


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
