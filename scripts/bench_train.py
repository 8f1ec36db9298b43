"""Learning benchmark: return curves and env steps/s of the baselines on two games, both twins.

Default runs: PQN+LRU and PPO+GRU on CartPoleEasy and CountRecallEasy, MDP and POMDP, each with the
same env-step budget (sized so one run stays short on a small CPU machine). Prints one JSON line per
run: the settings given on the command line (`options`; env steps apart) and the frame size, the
greedy policy's evaluation return (`harness.evaluate`, --eval-episodes per seed), its share of
the scripted expert's return, the random and expert returns measured the same way, the final
training return (epsilon-greedy or sampled actions), for Q-learners the final gap between
the two best actions' Q-values and the share of states whose greedy action is the most common one
(1: one action everywhere), for PPO the final policy entropy, env steps/s and wall time.
Each run's record, with its training curves (the return, mean and per seed, and PPO's entropy per
seed) and full config, is appended to OUT/records.jsonl as soon as it finishes: a rerun with the
same --out skips the runs logged there, and is refused if its settings (options, seeds, frame
size, evaluation episodes) or a logged run's config differ. At the end OUT/curves.json holds every
logged run's curves, and OUT/curves.png (when matplotlib is installed) draws them beside each
game's expert and random returns.

    python scripts/bench_train.py                                  # all 8 runs
    python scripts/bench_train.py --runs pqn:lru:CartPoleEasy:mdp --steps 1.2288e6
    python scripts/bench_train.py --num-envs 512 --steps 1.6384e7   # on a GPU
    python scripts/bench_train.py --obs-size 64 --seeds 3 --steps 1e6 \
        --runs pqn:lru:{CartPole,MineSweeper,Navigator,BattleShip}Easy:mdp  # the learning targets
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import jax
import numpy as np

from baselines.agents.config import AgentConfig
from baselines.agents.networks import as_policy
from baselines.agents.registry import ALGORITHMS, config_type, make_trainer
from baselines.experiments import bench_log, cli
from baselines.experiments.experiment import run
from baselines.experiments.provenance import provenance
from popgym_arcade_twins import harness, tasks

DEFAULT_RUNS = [
    f"{algo}:{memory}:{env_id}:{variant}"
    for algo, memory in (("pqn", "lru"), ("ppo", "gru"))
    for env_id in ("CartPoleEasy", "CountRecallEasy")
    for variant in ("mdp", "pomdp")
]


def evaluation(
    config: AgentConfig, env_id: str, partial_obs: bool, obs_size: int, params, episodes: int
) -> dict:
    """The greedy policies' (params leaves [seeds, ...]) returns beside the random and expert
    returns, all measured by the harness on `episodes` episodes per seed."""
    env, env_params = tasks.make(env_id, partial_obs, obs_size)
    policy = as_policy(make_trainer(config, env, env_params).network)
    keys = jax.random.split(jax.random.key(1), len(jax.tree.leaves(params)[0]))
    play = lambda p, k: harness.evaluate(env, env_params, policy, p, k, episodes)
    greedy = np.asarray(jax.jit(jax.vmap(play))(params, keys)).mean(axis=1)
    references = jax.jit(lambda k: harness.reference_returns(env, env_params, k, episodes))
    means = {name: float(np.mean(r)) for name, r in references(jax.random.key(2)).items()}
    expert = means.get("expert")
    return {
        "eval_return": round(float(greedy.mean()), 4),
        "eval_return_per_seed": [round(float(r), 4) for r in greedy],
        "share_of_expert": None if not expert else round(float(greedy.mean()) / expert, 3),
        "random_return": round(means["random"], 4),
        "expert_return": None if expert is None else round(expert, 4),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", nargs="*", default=DEFAULT_RUNS, help="algorithm:memory:env_id:mdp|pomdp"
    )
    parser.add_argument("--seeds", type=cli.positive_integer, default=1, help="how many seeds")
    parser.add_argument(
        "--first-seed", type=cli.nonnegative_integer, default=0,
        help="seeds FIRST..FIRST+N-1 (e.g. ones a sweep never uses, to choose its settings on)",
    )  # fmt: skip
    parser.add_argument("--obs-size", type=cli.positive_integer, default=128)
    parser.add_argument("--eval-episodes", type=cli.positive_integer, default=64)
    parser.add_argument("--out", default="runs/bench-train")
    names = cli.add_options(
        parser, [algorithm.config_type for algorithm in ALGORITHMS.values()],
        label=lambda cls: cls.algorithm, skip=("memory",), aliases={"total_steps": "--steps"},
    )  # fmt: skip
    args = parser.parse_args(argv)
    options = cli.given(args, names)
    runs = [run_config(parser, spec, options, args.obs_size) for spec in args.runs]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    settings = {
        "options": options, "obs_size": args.obs_size, "seeds": seeds,
        "eval_episodes": args.eval_episodes,
    }  # fmt: skip
    out, made_by = Path(args.out), provenance()  # of the code as it starts
    try:
        with bench_log.open_log(out / "records.jsonl", settings) as log:
            pending = [
                (spec, config, env_id, variant)
                for spec, (config, env_id, variant) in zip(args.runs, runs, strict=True)
                if not log.done({"run": spec}, *bench_log.as_logged(config))
            ]
            for spec, config, env_id, variant in pending:
                record = measure(spec, config, env_id, variant == "pomdp", seeds, args)
                record["options"] = {k: v for k, v in options.items() if k != "total_steps"}
                record["provenance"] = made_by
                logged = log.append(record, dataclasses.asdict(config))
                print(json.dumps({k: logged[k] for k in record if k != "curves"}), flush=True)
            curves = {r["run"]: r["curves"] for r in log.records}
    except bench_log.Refused as error:
        sys.exit(f"bench_train.py: error: {error}")
    (out / "curves.json").write_text(json.dumps(curves))
    plot(log.records, out / "curves.png")


def nullable(values: np.ndarray) -> list:
    """`values` as nested lists with None (JSON null) where NaN: an update in which no episode
    ended has no return, which a 0 would pass off as one."""
    return np.where(np.isnan(values), None, values).tolist()


def seed_mean(values: np.ndarray) -> np.ndarray:
    """[seeds, updates] -> [updates]: the mean over the seeds that have a value (NaN: no
    episode ended), NaN where none has (without numpy's warning about an empty mean)."""
    counts = np.sum(~np.isnan(values), axis=0)
    return np.where(counts > 0, np.nansum(values, axis=0) / np.maximum(counts, 1), np.nan)


def measure(
    spec: str, config: AgentConfig, env_id: str, partial_obs: bool, seeds: list[int], args
) -> dict:
    """Train `config` on `env_id` over `seeds` and evaluate it: the record of run `spec`."""
    result = run(env_id, partial_obs, config, seeds=seeds, obs_size=args.obs_size, progress=False)
    returns = seed_mean(result.curves["episode_return"])
    last = max(1, len(returns) // 10)
    curves = {
        "env_steps": result.env_steps.tolist(),
        "return": nullable(returns),
        "return_per_seed": nullable(result.curves["episode_return"]),
    }
    if "policy_entropy" in result.curves:
        curves["policy_entropy_per_seed"] = result.curves["policy_entropy"].tolist()
    return {
        "run": spec,
        "obs_size": args.obs_size,
        "seeds": seeds,
        "env_steps": int(result.env_steps[-1]),
        **evaluation(config, env_id, partial_obs, args.obs_size, result.params, args.eval_episodes),
        "final_train_return": round(float(np.nanmean(returns[-last:])), 4),
        **{
            f"final_{name}": round(float(np.nanmean(result.curves[name][:, -last:])), 4)
            for name in ("q_margin", "greedy_mode_share", "policy_entropy")
            if name in result.curves
        },
        "steps_per_s": round(result.steps_per_s),
        "wall_s": round(result.wall_s, 1),
        "backend": jax.default_backend(),
        "curves": curves,
    }


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


def plot(records: list[dict], path: Path) -> None:
    """Each run's training return (mean over seeds) per env step where episodes ended, faint,
    and its moving mean over a 25th of training; dashed and dotted in the same colour, its
    game's scripted expert and random policy (greedy evaluation returns)."""
    try:
        import matplotlib.pyplot as plt

        from baselines.experiments.plots import smoothed
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for r in records:
        steps = np.asarray(r["curves"]["env_steps"])
        mean = np.asarray(r["curves"]["return"], dtype=float)  # None -> nan
        ended = ~np.isnan(mean)  # updates in which some episode ended
        (raw,) = ax.plot(steps[ended], mean[ended], linewidth=0.6, alpha=0.25)
        colour = raw.get_color()
        ax.plot(steps, smoothed(mean, max(1, len(mean) // 25)), color=colour, label=r["run"])
        for reference, style in (("expert_return", "--"), ("random_return", ":")):
            if r[reference] is not None:
                ax.axhline(r[reference], color=colour, linestyle=style, linewidth=0.9)
    ax.plot([], [], "k--", linewidth=0.9, label="scripted expert")
    ax.plot([], [], "k:", linewidth=0.9, label="random policy")
    ax.set(xlabel="env steps per seed", ylabel="training episode return", title="Baselines")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
