"""Benchmark streaming Q(lambda) with a memory: exact RTRL against TBPTT(1) on MemoryChain, then
the streaming agent against PQN on POMDP games. One JSON line per result.

    python -m scripts.bench_streaming                       # both parts
    python -m scripts.bench_streaming --part chain --chain-steps 200000 --seeds 8
    python -m scripts.bench_streaming --part games --game-steps 1000000 --obs-size 128

(from the repository root; `python scripts/bench_streaming.py` once the package is installed).

Part "chain": for each gradient (rtrl, tbptt1) one program trains an agent per (chain length,
seed), vmapped, for --chain-steps steps each. success is the fraction of episodes answered right
over the last tenth of training, per seed; solved counts the seeds at >= 0.9 (chance is 0.5);
steps_to_solve is, per seed, the steps trained when success over a tenth of training first
reached 0.9 (null if never). --rtu-r-max below 1 starts the RTU with a short memory (the setting
of the MemoryChain-8 test).
updates_per_s counts agent steps (each one an update) per second over all agents, compile
excluded (compile_s apart).

Part "games": the streaming agent (RTU, RTRL) and PQN (the same memory, via `experiment.run`) on
the POMDP of each game for --game-steps env steps per seed. final_return is the mean return of
the episodes that ended in the last tenth of training, per seed; wall_s includes compiles.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np

from baselines.agents import streaming
from baselines.agents.config import PQNConfig, StreamQConfig
from baselines.experiments.experiment import run
from popgym_arcade_twins.tasks.memory_chain import make_memory_chain

LENGTHS = (2, 4, 8, 16, 32, 64, 128)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("chain", "games", "both"), default="both")
    parser.add_argument("--memory", default="rtu", choices=("rtu", "nonlinear_rtu"))
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--rtu-r-max", type=float, default=1.0, help="ring init's largest |lambda|")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--lengths", type=lambda s: [int(x) for x in s.split(",")], default=LENGTHS)
    parser.add_argument("--chain-steps", type=int, default=100_000, help="steps per agent")
    parser.add_argument("--games", default="CountRecallEasy,CartPoleEasy")
    parser.add_argument("--game-steps", type=int, default=50_000, help="env steps per seed")
    parser.add_argument("--game-seeds", type=int, default=2)
    parser.add_argument("--obs-size", type=int, default=64)
    return parser.parse_args()


def windowed_success(returns: np.ndarray) -> np.ndarray:
    """[..., updates] mean MemoryChain returns (+-1 per episode, NaN where none ended) ->
    [..., windows]: the success rate over each run of a tenth of the updates."""
    window = max(1, returns.shape[-1] // 10)
    windows = np.lib.stride_tricks.sliding_window_view(returns, window, axis=-1)
    return (np.nanmean(windows, axis=-1) + 1) / 2


def steps_to_solve(returns: np.ndarray, steps_per_update: int) -> list[int | None]:
    """[agents, updates] -> per agent, the steps trained at the end of the first window (a tenth
    of training) whose success reached 0.9, or None."""
    solved = windowed_success(returns) >= 0.9
    window = returns.shape[-1] - solved.shape[-1] + 1
    first = np.argmax(solved, axis=-1) + window  # updates trained at the end of that window
    ever = solved.any(axis=-1)
    return [int(n) * steps_per_update if ok else None for n, ok in zip(first, ever, strict=True)]


def bench_chain(args: argparse.Namespace, gradient: str) -> None:
    config = StreamQConfig(
        memory=args.memory,
        gradient=gradient,
        hidden_size=args.hidden,
        rtu_r_max=args.rtu_r_max,
        total_steps=args.chain_steps,
        steps_per_update=max(1, args.chain_steps // 50),
    )
    env, params = make_memory_chain()

    def train(key: jax.Array, length: jax.Array):
        chain = params.replace(memory_length=length, max_steps_in_episode=length)
        return streaming.make_train(config, env, chain).train(key)[1]["episode_return"]

    lengths = np.repeat(np.asarray(args.lengths, np.int32), args.seeds)
    keys = jax.random.split(jax.random.key(0), len(lengths))  # a different seed per agent
    begin = time.perf_counter()
    compiled = jax.jit(jax.vmap(train)).lower(keys, lengths).compile()
    compile_s = time.perf_counter() - begin
    begin = time.perf_counter()
    returns = np.asarray(jax.block_until_ready(compiled(keys, lengths)))
    run_s = time.perf_counter() - begin
    success = windowed_success(returns)[:, -1].reshape(len(args.lengths), args.seeds)
    solve_steps = steps_to_solve(returns, config.steps_per_update)
    updates_per_s = len(lengths) * config.num_updates * config.steps_per_update / run_s
    for i, (length, rates) in enumerate(zip(args.lengths, success, strict=True)):
        record = {
            "bench": "memory_chain",
            "memory": args.memory,
            "gradient": gradient,
            "rtu_r_max": args.rtu_r_max,
            "length": length,
            "steps": config.total_steps,
            "success": [round(float(rate), 3) for rate in rates],
            "mean_success": round(float(np.mean(rates)), 3),
            "solved": int(np.sum(rates >= 0.9)),
            "steps_to_solve": solve_steps[i * args.seeds : (i + 1) * args.seeds],
            "updates_per_s": round(updates_per_s),
            "compile_s": round(compile_s, 1),
        }
        print(json.dumps(record), flush=True)


def bench_game(args: argparse.Namespace, env_id: str) -> None:
    pqn = PQNConfig(
        memory=args.memory,
        hidden_size=args.hidden,
        num_envs=16,
        rollout_steps=32,
        num_minibatches=2,
        total_steps=args.game_steps,
    )
    stream = StreamQConfig(  # the same env steps per seed as PQN, logged as often
        memory=args.memory,
        hidden_size=args.hidden,
        total_steps=pqn.num_updates * pqn.steps_per_update,
        steps_per_update=pqn.steps_per_update,
    )
    configs = {"stream_q": stream, "pqn": pqn}
    seeds = list(range(args.game_seeds))
    for algorithm, config in configs.items():
        result = run(
            env_id, True, config, seeds=seeds, obs_size=args.obs_size,
            chunk_updates=max(1, config.num_updates // 5), progress=False,
        )  # fmt: skip
        returns = result.curves["episode_return"]
        last = max(1, returns.shape[1] // 10)
        record = {
            "bench": "game",
            "env_id": env_id,
            "variant": "POMDP",
            "obs_size": args.obs_size,
            "algorithm": algorithm,
            "memory": args.memory,
            "env_steps_per_seed": int(result.env_steps[-1]),
            "final_return": [round(float(r), 4) for r in np.nanmean(returns[:, -last:], axis=1)],
            "steps_per_s": round(result.steps_per_s),
            "wall_s": round(result.wall_s, 1),
        }
        print(json.dumps(record), flush=True)


def main() -> None:
    args = parse_args()
    if args.part in ("chain", "both"):
        for gradient in ("rtrl", "tbptt1"):
            bench_chain(args, gradient)
    if args.part in ("games", "both"):
        for env_id in args.games.split(","):
            bench_game(args, env_id)


if __name__ == "__main__":
    main()
