"""Train one (env id, variant, algorithm, memory) for several seeds, in jitted chunks.

The seed axis is vmapped. Between chunks a progress bar reports env steps/s and the latest return.
With `out_dir`, the folder holds one run: `config.json` (its settings) is written first; after
every chunk its metrics are appended to `metrics.jsonl` and the whole runner state is saved to
`state.npz`; at the end the parameters go to `params.msgpack` (see `checkpoint`). A folder
holding a run with other settings is refused; an unfinished run of the same settings continues
from its last checkpoint with `resume=True` (its metrics go on from the next update); a finished
one is read back, not trained again; while a run writes the folder, another process given it is
refused (`folder_lock`, on `out_dir` + ".lock"). Between chunks a SIGINT or SIGTERM noted by
`interrupt` stops the run after its checkpoint. With `switch_at`, the run switches to the other
twin once, at that env step (`baselines.agents.switching`): a chunk never spans the switch, and
the run goes on from the same runner state. `scripts/train.py` is the command-line face of `run`.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from baselines.agents import switching
from baselines.agents.config import AgentConfig
from baselines.experiments import checkpoint, folder_lock, interrupt, loggers
from baselines.experiments.records import write_atomically
from popgym_arcade_twins import tasks

METRICS = "metrics.jsonl"


@dataclass
class RunResult:
    curves: dict[str, np.ndarray]  # metric -> [seeds, updates]
    env_steps: np.ndarray  # [updates]: env steps per seed after each update
    wall_s: float  # training time, compiles included (over every session of a resumed run)
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
    resume: bool = False,
    log: str | None = None,
    switch_at: int | None = None,
) -> RunResult:
    """Train (or, with `out_dir`, continue or read back; see the module docstring) on the twin
    `partial_obs` picks, switching to the other at env step `switch_at` if given (0: the whole
    run on the other; the budget: never). `log` ("tensorboard" or "wandb", see `loggers`) also
    logs every update's metrics into `out_dir`."""
    if log and not out_dir:
        raise ValueError("logging writes into the run folder: give out_dir (train.py --out)")
    if log:
        loggers.check_available(log)
    env, env_params = tasks.make(env_id, partial_obs, obs_size)
    twin, _ = tasks.make(env_id, not partial_obs, obs_size)
    stages = switching.stages(config, env, twin, env_params, switch_at)  # checks switch_at
    keys = jax.vmap(jax.random.key)(jnp.asarray(seeds))
    meta = {
        "env_id": env_id,
        "partial_obs": partial_obs,
        "obs_size": obs_size,
        "seeds": list(seeds),
    }
    if switch_at is not None:  # only then, so folders of runs from before switches still match
        meta["switch_at"] = switch_at
    name = f"{env_id}/{'POMDP' if partial_obs else 'MDP'}/{config.memory}"
    if switch_at is not None:
        name += f"/switch-at-{switch_at}"
    out_dir = Path(out_dir) if out_dir else None
    held = folder_lock.exclusive(out_dir, f"the run folder {out_dir}") if out_dir else nullcontext()
    with held:
        return _train(
            stages, config, keys, meta, name, out_dir, chunk_updates, progress, resume, log
        )


def _train(
    stages: tuple[switching.Stage, ...],
    config: AgentConfig,
    keys: jax.Array,
    meta: dict,
    name: str,
    out_dir: Path | None,
    chunk_updates: int,
    progress: bool,
    resume: bool,
    log: str | None,
) -> RunResult:
    """`run`'s training loop, once its arguments are checked (and its folder held)."""
    seeds = meta["seeds"]
    init = jax.vmap(stages[0].trainer.init)
    done, lines = 0, []
    if out_dir:
        done = _claim(out_dir, checkpoint.settings(config, **meta), config.num_updates, resume)
        lines = _kept_metrics(out_dir / METRICS, done)
    if done:
        state, _ = checkpoint.load_state(out_dir, jax.eval_shape(init, keys))
    else:
        state = jax.jit(init)(keys)
        if out_dir:
            checkpoint.write_config(out_dir, config, **meta)
    if done == config.num_updates:
        print(
            f"{out_dir} holds this run, finished ({done} updates): nothing to do", file=sys.stderr
        )

    def compiled(stage: switching.Stage):
        """The stage's `enter` and its chunk of updates (as many as `length_marker` is long)."""

        def scan(state, length_marker):
            update = jax.vmap(stage.trainer.update)
            return jax.lax.scan(lambda s, _: update(s), state, None, length=length_marker.shape[0])

        return jax.jit(jax.vmap(functools.partial(switching.enter, stage))), jax.jit(scan)

    programs = [compiled(stage) for stage in stages]
    logger = log and loggers.MetricLogger(log, out_dir, name, checkpoint.settings(config, **meta))
    previous_s = lines[-1]["wall_s"] if lines else 0.0
    start, first = time.perf_counter(), done
    with tqdm(total=config.num_updates, initial=done, unit="update", disable=not progress) as bar:
        while done < config.num_updates:
            index = next(i for i, stage in enumerate(stages) if done < stage.stop)
            enter, chunk = programs[index]
            if index and done == stages[index].start:  # resumed there too: saved before enter
                state = enter(state)
            length = min(chunk_updates, stages[index].stop - done)
            state, metrics = chunk(state, jnp.zeros(length))
            metrics = {
                k: np.asarray(v, float) for k, v in jax.device_get(metrics).items()
            }  # [length, seeds]
            new = _lines(metrics, done, config.steps_per_update)
            done += length
            elapsed = time.perf_counter() - start
            rate = (done - first) * config.steps_per_update * len(seeds) / elapsed
            for line in new:
                line |= {"wall_s": round(previous_s + elapsed, 2), "steps_per_s": round(rate)}
            lines += new
            for line in new if logger else ():
                logger.log(line["env_steps"], {k: v for k, v in line.items() if k != "env_steps"})
            if out_dir:
                _append(out_dir / METRICS, new)  # before the state: a kill between the two leaves
                checkpoint.save_state(out_dir, state, done)  # extra lines, dropped by a resume
            bar.update(length)
            ended = metrics["episode_return"][-1]  # NaN where no episode ended in the update
            latest = f"{np.nanmean(ended):.3f}" if np.isfinite(ended).any() else "none yet"
            bar.set_postfix(ret=latest, steps_per_s=f"{rate:,.0f}")
            if done < config.num_updates:
                interrupt.check(
                    "rerun with resume=True (train.py --resume) to continue"
                    if out_dir
                    else "nothing is saved without out_dir (train.py --out)"
                )
    if logger:
        logger.close()
    params = jax.device_get(state.params)
    if out_dir and first < config.num_updates:
        checkpoint.save(out_dir, config, params, **meta)
    names = [k for k in lines[0] if k not in ("update", "env_steps", "wall_s", "steps_per_s")]
    curves = {k: np.asarray([line[k] for line in lines], float).T for k in names}
    env_steps = np.arange(1, config.num_updates + 1) * config.steps_per_update
    wall = lines[-1]["wall_s"] if first == config.num_updates else previous_s + elapsed
    total = config.num_updates * config.steps_per_update * len(seeds)
    return RunResult(curves, env_steps, wall, total / wall, params)


def _claim(out_dir: Path, settings: dict, num_updates: int, resume: bool) -> int:
    """Updates already done by the run of `settings` in `out_dir` (0 for a new run); a
    ValueError if the folder holds another run, or an unfinished one and not `resume`."""
    config_path = out_dir / checkpoint.CONFIG
    if not config_path.exists():
        if (out_dir / METRICS).exists():
            raise ValueError(
                f"{out_dir} holds {METRICS} but no {checkpoint.CONFIG}: use another folder"
            )
        return 0
    saved = json.loads(config_path.read_text())
    saved.pop("provenance", None)  # what made the run, not what defines it
    settings = json.loads(json.dumps(settings))  # tuples as lists, as read back
    if saved != settings:
        differ = sorted(
            k for k in settings.keys() | saved.keys() if saved.get(k) != settings.get(k)
        )
        if "config" in differ:
            mine, theirs = settings["config"], saved.get("config", {})
            differ.remove("config")
            differ += sorted(
                f"config.{k}" for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)
            )
        raise ValueError(
            f"{out_dir} holds a run with other settings ({', '.join(differ)} differ): "
            "use another folder"
        )
    updates = checkpoint.saved_updates(out_dir)
    if updates is None:
        if (out_dir / checkpoint.PARAMS).exists():
            raise ValueError(
                f"{out_dir} holds a finished run with no {checkpoint.STATE}: use another folder"
            )
        return 0  # stopped before its first checkpoint: start again
    if updates < num_updates and not resume:
        raise ValueError(
            f"{out_dir} holds an unfinished run of these settings ({updates} of {num_updates} "
            "updates): continue it with resume=True (train.py --resume), or use another folder"
        )
    return updates


def _kept_metrics(path: Path, updates: int) -> list[dict]:
    """The lines of `path` up to update `updates`; later ones (written after the last
    checkpoint) and a line cut short by a kill are removed from the file."""
    if not path.exists():
        return []
    text = path.read_text()
    kept = [json.loads(line) for line in text.split("\n")[:updates]]
    if len(kept) < updates or any(line["update"] != i + 1 for i, line in enumerate(kept)):
        raise ValueError(f"{path} lacks updates before the checkpoint's {updates}")
    body = "".join(json.dumps(line) + "\n" for line in kept)
    if body != text:
        write_atomically(path, lambda f: f.write(body.encode()))
    return kept


def _lines(metrics: dict, done: int, steps_per_update: int) -> list[dict]:
    """One line per update: its number, env steps per seed and each metric as a list over seeds
    (NaN as None); the caller adds the wall time and env steps/s of training so far."""
    lines = []
    for i in range(len(metrics["loss"])):
        update = done + i + 1
        line = {"update": update, "env_steps": update * steps_per_update}
        line |= {k: [None if np.isnan(x) else x for x in v[i].tolist()] for k, v in metrics.items()}
        lines.append(line)
    return lines


def _append(path: Path, lines: list[dict]) -> None:
    with path.open("a") as f:
        f.write("".join(json.dumps(line) + "\n" for line in lines))
