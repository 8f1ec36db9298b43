"""Train one (env id, variant, algorithm, memory) for several seeds, in jitted chunks.

The seed axis is vmapped. Between chunks a progress bar reports env steps/s and the latest return
and the chunk's metrics are appended to `metrics.jsonl`; at the end the parameters are saved (see
`checkpoint`). `scripts/train.py` is the command-line face of `run`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from baselines.agents.config import AgentConfig
from baselines.agents.registry import make_trainer
from baselines.experiments import checkpoint
from popgym_arcade_twins import tasks


@dataclass
class RunResult:
    curves: dict[str, np.ndarray]  # metric -> [seeds, updates]
    env_steps: np.ndarray  # [updates]: env steps per seed after each update
    wall_s: float  # training time, compiles included
    steps_per_s: float  # env steps per second over all seeds, compiles included
    params: Any  # final parameters, leaves [seeds, ...]


def run(
    env_id: str,
    partial_obs: bool,
    config: AgentConfig,
    seeds: list[int] | tuple[int, ...] = (0,),
    obs_size: int = 128,
    chunk_updates: int = 10,
    out_dir: str | Path | None = None,
    progress: bool = True,
) -> RunResult:
    env, env_params = tasks.make(env_id, partial_obs, obs_size)
    trainer = make_trainer(config, env, env_params)
    state = jax.jit(jax.vmap(trainer.init))(jax.vmap(jax.random.key)(jnp.asarray(seeds)))

    @jax.jit
    def chunk(state, length_marker):
        length = length_marker.shape[0]
        return jax.lax.scan(lambda s, _: jax.vmap(trainer.update)(s), state, None, length=length)

    log_path = Path(out_dir) / "metrics.jsonl" if out_dir else None
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    chunks: list[dict[str, np.ndarray]] = []
    done, start = 0, time.perf_counter()
    bar = tqdm(total=config.num_updates, unit="update", disable=not progress)
    while done < config.num_updates:
        length = min(chunk_updates, config.num_updates - done)
        state, metrics = chunk(state, jnp.zeros(length))
        metrics = {
            k: np.asarray(v, float) for k, v in jax.device_get(metrics).items()
        }  # [length, seeds]
        chunks.append(metrics)
        done += length
        elapsed = time.perf_counter() - start
        rate = done * config.steps_per_update * len(seeds) / elapsed
        if log_path:
            timing = {"wall_s": round(elapsed, 2), "steps_per_s": round(rate)}
            _append_jsonl(log_path, metrics, done - length, config.steps_per_update, timing)
        bar.update(length)
        bar.set_postfix(
            ret=f"{np.nanmean(metrics['episode_return'][-1]):.3f}", steps_per_s=f"{rate:,.0f}"
        )
    bar.close()
    wall = time.perf_counter() - start
    params = jax.device_get(state.params)
    if out_dir:
        meta = {
            "env_id": env_id,
            "partial_obs": partial_obs,
            "obs_size": obs_size,
            "seeds": list(seeds),
        }
        checkpoint.save(out_dir, config, params, **meta)
    curves = {k: np.concatenate([c[k] for c in chunks]).T for k in chunks[0]}
    env_steps = np.arange(1, config.num_updates + 1) * config.steps_per_update
    total = config.num_updates * config.steps_per_update * len(seeds)
    return RunResult(curves, env_steps, wall, total / wall, params)


def _append_jsonl(
    path: Path, metrics: dict, first_update: int, steps_per_update: int, timing: dict
):
    """One line per update: its number, env steps per seed, each metric as a list over seeds, and
    the wall time and env steps/s (all seeds) of training so far, as of the end of its chunk."""
    with path.open("a") as f:
        for i in range(len(metrics["loss"])):
            update = first_update + i + 1
            record = {"update": update, "env_steps": update * steps_per_update, **timing}
            record |= {
                k: [None if np.isnan(x) else x for x in v[i].tolist()] for k, v in metrics.items()
            }
            f.write(json.dumps(record) + "\n")
