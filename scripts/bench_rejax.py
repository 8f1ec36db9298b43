"""Our PQN and PPO against rejax's (an MLP on the flattened frame), side by side at equal env steps.

    pip install -e ".[clients]"          # rejax is an optional extra, not a core dependency
    python scripts/bench_rejax.py        # CartPole-, MineSweeperEasy, both twins, 32k and 200k
    python scripts/bench_rejax.py --envs CartPoleEasy:MDP --budgets 32768 --seeds 1
    python scripts/bench_rejax.py --budgets 32768 --ppo-options num_envs=8 num_minibatches=8

Every agent is trained separately for each budget (no checkpoint of a longer run), with seeds
vmapped, and its greedy policy is evaluated by the same `harness.evaluate` on `--eval-episodes`
episodes (rejax's PPO: the argmax of its logits; rejax's PQN: of its Q-values; observations
normalized by its running statistics as in its training). Ours are PQN and PPO with their
defaults (but what `--pqn-options` and `--ppo-options` set) and memories `--pqn-memory` and
`--ppo-memory`; rejax's run with its defaults,
`--rejax-envs` envs and observation normalization. Prints one JSON line per (agent, game,
twin, budget), appended at once to OUT.jsonl with the full config it was measured with; a rerun
with the same --out skips what OUT.jsonl holds, and is refused if its seeds, frame size or
evaluation episodes, or a logged cell's config, differ. OUT.md (the table) is written from all
of OUT.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from baselines.agents.config import PPOConfig, PQNConfig
from baselines.experiments import bench_log, cli
from baselines.experiments.provenance import provenance
from baselines.experiments.trials import train_and_evaluate
from popgym_arcade_twins import harness, tasks
from popgym_arcade_twins.compat import ArcadeEnv

AGENTS = ("ours-pqn", "ours-ppo", "rejax-ppo", "rejax-pqn")
SHOWN = ("agent", "env_id", "twin", "env_steps", "options", "mean", "per_seed", "wall_s")


def rejax_policy(algo, ts) -> harness.Policy:
    """A trained rejax PPO or PQN as a memoryless harness policy (scores: logits or Q-values)."""

    def scores(obs: jax.Array) -> jax.Array:
        if getattr(algo, "normalize_observations", False):
            obs = algo.normalize_obs(ts.obs_rms_state, obs)
        if hasattr(ts, "actor_ts"):  # PPO
            logits = lambda module, x: module._action_dist(x).logits
            return algo.actor.apply(ts.actor_ts.params, obs, method=logits)
        return algo.agent.apply(ts.q_ts.params, obs)

    return harness.Policy(
        apply=lambda params, carry, obs, start: (carry, scores(obs)),
        initialize_carry=lambda batch_shape: jnp.zeros(batch_shape),
    )


def rejax_returns(name, env, env_params, steps, seeds, eval_episodes, num_envs) -> np.ndarray:
    import rejax

    algo = getattr(rejax, name.upper()).create(
        env=ArcadeEnv(env), env_params=env_params, total_timesteps=steps, eval_freq=steps,
        num_envs=num_envs, normalize_observations=True,
    )  # fmt: skip

    def one_seed(seed):
        key_train, key_eval = jax.random.split(jax.random.key(seed))
        ts, _ = algo.train(key_train)
        policy = rejax_policy(algo, ts)
        return harness.evaluate(env, env_params, policy, None, key_eval, eval_episodes)

    return np.asarray(jax.jit(jax.vmap(one_seed))(jnp.asarray(seeds)))


def agent_returns(agent: str, env_id: str, twin: str, steps: int, args) -> np.ndarray:
    """[seeds, eval_episodes] evaluation returns of one agent trained for `steps` env steps."""
    env, env_params = tasks.make(env_id, twin == "POMDP", args.obs_size)
    seeds = list(range(args.seeds))
    if agent.startswith("rejax-"):
        name = agent.removeprefix("rejax-")
        return rejax_returns(
            name, env, env_params, steps, seeds, args.eval_episodes, args.rejax_envs
        )
    returns, _ = train_and_evaluate(
        ours_config(agent, steps, args), env, env_params, seeds, args.eval_episodes
    )
    return np.asarray(returns)


def ours_config(agent: str, steps: int, args: argparse.Namespace) -> PPOConfig | PQNConfig:
    """The config of "ours-pqn" or "ours-ppo": its memory and `--pqn-options`/`--ppo-options`."""
    if agent == "ours-pqn":
        return PQNConfig(memory=args.pqn_memory, total_steps=steps, **ours_options(agent, args))
    return PPOConfig(memory=args.ppo_memory, total_steps=steps, **ours_options(agent, args))


def ours_options(agent: str, args: argparse.Namespace) -> dict:
    """What `--pqn-options` or `--ppo-options` set for `agent` (none for rejax's)."""
    return {"ours-pqn": args.pqn_options, "ours-ppo": args.ppo_options}.get(agent, {})


def write_table(records: list[dict], path: Path) -> None:
    """OUT.md: mean evaluation return (and per seed) by game, twin and budget, one column per
    agent, and the commands that measured them."""
    cells = {(r["env_id"], r["twin"], r["env_steps"]): {} for r in records}
    for r in records:
        cells[(r["env_id"], r["twin"], r["env_steps"])][r["agent"]] = r
    agents = [a for a in AGENTS if any(a in row for row in cells.values())]
    lines = [
        "| game | twin | env steps | " + " | ".join(agents) + " |",
        "|---|---|---|" + "---|" * len(agents),
    ]
    for (env_id, twin, steps), row in cells.items():
        shown = [
            f"{row[a]['mean']:+.2f} ({', '.join(f'{x:+.2f}' for x in row[a]['per_seed'])})"
            if a in row else ""
            for a in agents
        ]  # fmt: skip
        lines.append(f"| {env_id} | {twin} | {steps:,} | " + " | ".join(shown) + " |")
    commands = "; ".join(f"`{c}`" for c in dict.fromkeys(r["command"] for r in records))
    note = (
        "\nMean greedy evaluation return over seeds (each seed's mean in brackets); every agent "
        f"evaluated by `harness.evaluate`. Commands: {commands}.\n"
    )
    path.write_text("\n".join(lines) + "\n" + note)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--envs", nargs="+", help="GAME:TWIN, TWIN being MDP or POMDP",
        default=[f"{g}:{t}" for g in ("CartPoleEasy", "MineSweeperEasy") for t in ("MDP", "POMDP")],
    )  # fmt: skip
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=AGENTS)
    parser.add_argument(
        "--budgets", nargs="+", type=cli.positive_integer, default=[32_768, 204_800]
    )
    parser.add_argument("--seeds", type=cli.positive_integer, default=3)
    parser.add_argument("--obs-size", type=cli.positive_integer, default=64)
    parser.add_argument("--eval-episodes", type=cli.positive_integer, default=32)
    parser.add_argument("--pqn-memory", default="lru")
    parser.add_argument("--ppo-memory", default="gru")
    for name in ("pqn", "ppo"):
        parser.add_argument(
            f"--{name}-options", nargs="*", default=[], metavar="NAME=VALUE",
            help=f"ours-{name}'s settings that differ from its defaults, e.g. num_envs=8",
        )  # fmt: skip
    parser.add_argument("--rejax-envs", type=cli.positive_integer, default=8)
    parser.add_argument("--out", default="runs/bench_rejax", help="writes OUT.jsonl and OUT.md")
    args = parser.parse_args(argv)
    for name, config_type in (("pqn", PQNConfig), ("ppo", PPOConfig)):
        option = f"--{name}-options"
        tokens = getattr(args, f"{name}_options")
        values = cli.assignments(parser, config_type, tokens, option, ("memory", "total_steps"))
        setattr(args, f"{name}_options", values)
    args.envs = cli.game_twins(parser, args.envs, args.obs_size)
    for steps in args.budgets:  # every budget holds at least one update of each of ours
        for agent in ("ours-pqn", "ours-ppo"):
            cli.build(parser, lambda a=agent, s=steps: ours_config(a, s, args))
    if any(a.startswith("rejax-") for a in args.agents):
        try:
            import rejax  # noqa: F401
        except ImportError:
            parser.error("rejax is not installed: pip install -e '.[clients]'")
    return args


def measured_config(agent: str, steps: int, args: argparse.Namespace) -> tuple[dict, dict]:
    """What a record of `agent` was measured with: all of our config's fields, or rejax's
    settings (its own defaults otherwise; its version is in the record's provenance); and the
    defaults of those fields (`BenchLog.done` takes a field added since a record at its default)."""
    if agent.startswith("rejax-"):
        return {"num_envs": args.rejax_envs, "normalize_observations": True}, {}
    return bench_log.as_logged(ours_config(agent, steps, args))


def log_settings(args: argparse.Namespace) -> dict:
    """What every record of one OUT.jsonl shares."""
    return {"seeds": args.seeds, "obs_size": args.obs_size, "eval_episodes": args.eval_episodes}


def cells(args: argparse.Namespace) -> list[tuple[dict, dict, dict]]:
    """(key, config, defaults) of every (game, twin, budget, agent) the command asks for, in run
    order (`measured_config`)."""
    return [
        ({"agent": agent, "env_id": env_id, "twin": twin, "env_steps": steps},
         *measured_config(agent, steps, args))
        for env_id, twin in args.envs
        for steps in args.budgets
        for agent in args.agents
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    command = " ".join(
        ["python scripts/bench_rejax.py", *(argv if argv is not None else sys.argv[1:])]
    )
    made_by = provenance(extra=("rejax", "distrax"))
    try:
        with bench_log.open_log(out.with_suffix(".jsonl"), log_settings(args)) as log:
            pending = [
                (key, config)
                for key, config, defaults in cells(args)
                if not log.done(key, config, defaults)
            ]
            for key, config in pending:
                start = time.perf_counter()
                returns = agent_returns(key["agent"], key["env_id"], key["twin"],
                                        key["env_steps"], args).mean(axis=1)  # fmt: skip
                record = log.append({
                    **key, "options": ours_options(key["agent"], args),
                    "mean": round(float(returns.mean()), 4),
                    "per_seed": np.round(returns, 4).tolist(),
                    "wall_s": round(time.perf_counter() - start, 1),
                    "command": command, "provenance": made_by,
                }, config)  # fmt: skip
                print(json.dumps({k: record[k] for k in SHOWN}), flush=True)
            write_table(log.records, out.with_suffix(".md"))
    except bench_log.Refused as error:
        sys.exit(f"bench_rejax.py: error: {error}")
    print(out.with_suffix(".md").read_text(), file=sys.stderr)


if __name__ == "__main__":
    main()
