"""A small, reproducible PQN tuning grid: variants x games x twins x memory models, seeds vmapped.

    python scripts/tune_pqn.py                                   # the default grid, 32k steps
    python scripts/tune_pqn.py --variants tuned --envs CartPoleEasy:MDP CartPoleEasy:POMDP \\
        --memories gru lru none --steps 2e5 --seeds 2

A variant is a set of changes to `PQNConfig`'s defaults (VARIANTS below; "annealed" is the
defaults themselves). Each cell (variant, game, twin, memory) is one jitted program over its
seeds: train, then evaluate the final greedy policy for `--eval-episodes` episodes with
`harness.evaluate` (the returns reported are evaluation returns, not training ones). Every
finished cell is appended to OUT.jsonl with the full config it trained, and OUT.md is rewritten
from all of OUT.jsonl's records. A rerun skips the cells logged there; it is refused if its frame
size or evaluation episodes differ from the log's, or a logged cell's config from the one the
cell would train now (its variant's meaning changed, or the defaults).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from baselines.agents.config import PQNConfig
from baselines.experiments import bench_log, cli
from baselines.experiments.trials import train_and_evaluate
from popgym_arcade_twins import tasks

OLD = {
    "num_layers": 1, "previous_action": False, "residual": False, "hidden_size": 64,
    "num_envs": 16, "rollout_steps": 32, "num_epochs": 2, "num_minibatches": 2,
    "learning_rate": 2.5e-4, "anneal_lr": True, "max_grad_norm": 0.5, "lam": 0.65,
    "epsilon_end": 0.05, "epsilon_fraction": 0.15, "reward_scale": 1.0, "fresh_targets": False,
}  # fmt: skip
"""The settings PQN had before tuning (with the sweep's sizes)."""

CONSTANT_RATE = {"anneal_lr": False}
"""PQN's learning rate while this grid was run (the defaults anneal it since)."""
PLAIN = CONSTANT_RATE | {"num_layers": 1, "previous_action": False, "residual": False}
VARIANTS: dict[str, dict] = {
    "old": OLD,
    "more_updates": PLAIN | {"reward_scale": 1.0},  # old + lam .95, 4 x 8 minibatches, fresh
    "fewer_epochs": PLAIN | {"reward_scale": 1.0, "num_epochs": 2, "num_minibatches": 16},
    "scaled": PLAIN,  # more_updates + reward_scale 10
    "tuned": CONSTANT_RATE,  # scaled + the paper's agent shape
    "annealed": {},  # tuned, the learning rate annealed linearly to 0: the defaults
}
"""Named changes to `PQNConfig`'s defaults (which are the annealed settings)."""

SHOWN = ("variant", "env_id", "twin", "memory", "env_steps", "mean", "eval_return", "wall_s")
DIAGNOSTICS = ("episode_return", "q_taken", "q_target", "q_margin", "greedy_mode_share")


def cell_config(cell: dict) -> PQNConfig:
    """The PQN config of a cell (variant, memory, steps)."""
    return PQNConfig(memory=cell["memory"], total_steps=cell["steps"], **VARIANTS[cell["variant"]])


def logged(config: PQNConfig) -> dict:
    """`config` as a cell's record logs it: every field but the memory (the cell names it)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k != "memory"}


def run_cell(cell: dict, config: PQNConfig, obs_size: int, eval_episodes: int) -> dict:
    """Train and evaluate one cell (its `config`) over its seeds (vmapped); returns its record."""
    env, env_params = tasks.make(cell["env_id"], cell["twin"] == "POMDP", obs_size)
    start = time.perf_counter()
    returns, metrics = train_and_evaluate(
        config, env, env_params, range(cell["seeds"]), eval_episodes
    )
    last = max(1, config.num_updates // 10)
    returns = np.asarray(returns).mean(axis=1)
    late = {k: np.nanmean(np.asarray(metrics[k])[:, -last:], axis=1) for k in DIAGNOSTICS}
    wall = time.perf_counter() - start
    env_steps = config.num_updates * config.steps_per_update
    return {
        **cell, "obs_size": obs_size, "eval_episodes": eval_episodes, "env_steps": env_steps,
        "eval_return": np.round(returns, 4).tolist(),
        "mean": round(float(np.mean(returns)), 4),
        "late_train": {k: np.round(v, 4).tolist() for k, v in late.items()},
        "wall_s": round(wall, 1), "steps_per_s": round(env_steps * cell["seeds"] / wall),
    }  # fmt: skip


def write_table(records: list[dict], path: Path) -> None:
    """OUT.md: one row per record, in the order run."""
    lines = [
        "| variant | game | twin | memory | env steps | seeds | eval return (mean) | per seed "
        "| greedy mode share | Q margin | wall s | env steps/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        late = r["late_train"]
        lines.append(
            f"| {r['variant']} | {r['env_id']} | {r['twin']} | {r['memory']} | {r['env_steps']} "
            f"| {r['seeds']} | {r['mean']:.3f} | {', '.join(f'{x:.3f}' for x in r['eval_return'])} "
            f"| {np.mean(late['greedy_mode_share']):.2f} | {np.mean(late['q_margin']):.4f} "
            f"| {r['wall_s']} | {r['steps_per_s']} |"
        )
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", nargs="+", default=["old", "tuned"], choices=VARIANTS)
    parser.add_argument(
        "--envs",
        nargs="+",
        default=["CartPoleEasy:MDP", "CartPoleEasy:POMDP", "MineSweeperEasy:MDP"],
        help="GAME:TWIN, TWIN being MDP or POMDP",
    )
    parser.add_argument("--memories", nargs="+", default=["lru", "none"])
    parser.add_argument(
        "--steps", type=cli.positive_integer, default=32768, help="env steps per seed"
    )
    parser.add_argument("--seeds", type=cli.positive_integer, default=2)
    parser.add_argument("--obs-size", type=cli.positive_integer, default=64)
    parser.add_argument("--eval-episodes", type=cli.positive_integer, default=32)
    parser.add_argument("--out", default="assets/tune_pqn", help="writes OUT.jsonl and OUT.md")
    args = parser.parse_args(argv)
    out = Path(args.out)
    settings = {"obs_size": args.obs_size, "eval_episodes": args.eval_episodes}
    games = cli.game_twins(parser, args.envs, args.obs_size)
    cells = [
        {"variant": variant, "env_id": env_id, "twin": twin, "memory": memory,
         "steps": args.steps, "seeds": args.seeds}
        for variant in args.variants
        for env_id, twin in games
        for memory in args.memories
    ]  # fmt: skip
    configs = [cli.build(parser, lambda c=cell: cell_config(c)) for cell in cells]
    try:
        with bench_log.open_log(out.with_suffix(".jsonl"), settings) as log:
            pending = [
                (cell, config)
                for cell, config in zip(cells, configs, strict=True)
                if not log.done(cell, logged(config), bench_log.field_defaults(PQNConfig))
            ]
            for cell, config in pending:
                record = run_cell(cell, config, args.obs_size, args.eval_episodes)
                log.append(record, logged(config))
                print(json.dumps({k: record[k] for k in SHOWN}), flush=True)
                write_table(log.records, out.with_suffix(".md"))
    except bench_log.Refused as error:
        sys.exit(f"tune_pqn.py: error: {error}")


if __name__ == "__main__":
    main()
