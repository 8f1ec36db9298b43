"""A run folder holds one run: other settings are refused, SIGINT or SIGTERM stop training at a
chunk's end with its checkpoint kept (exit 130 or 143), `resume` continues it to the numbers of
an uninterrupted run, and a finished run is not trained again."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from baselines.agents.config import PQNConfig
from baselines.experiments import checkpoint
from baselines.experiments.experiment import run

pytestmark = pytest.mark.slow  # trains or runs whole scripts: CI runs it (-m "slow or not slow")

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = {"num_envs": 4, "rollout_steps": 4, "hidden_size": 8, "num_minibatches": 2}
STEPS = 100 * 16  # 100 updates of 4 envs x 4 steps
CONFIG = PQNConfig(total_steps=STEPS, **SETTINGS)
RUN = {"env_id": "probe:one_bit", "partial_obs": False, "config": CONFIG, "obs_size": 32}


def train_process(out: Path) -> subprocess.Popen:
    """scripts/train.py with the settings of CONFIG, one update per chunk."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in SETTINGS.items()]
    command = [sys.executable, "scripts/train.py", "probe:one_bit", "--obs-size", "32",
               "--steps", str(STEPS), "--chunk", "1", "--out", str(out), *flags]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def metric_updates(out: Path) -> list[int]:
    return [json.loads(line)["update"] for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def uninterrupted():
    return run(**RUN, progress=False)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_training_at_a_checkpoint_and_resume_finishes_it(
    tmp_path, uninterrupted, signum
):
    process = train_process(tmp_path)
    metrics = tmp_path / "metrics.jsonl"
    while process.poll() is None and not (metrics.exists() and len(metric_updates(tmp_path)) >= 2):
        time.sleep(0.05)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 128 + signum, stderr  # not -11 (SIGSEGV), not a traceback
    assert f"stopped by {signal.Signals(signum).name}" in stderr
    done = checkpoint.saved_updates(tmp_path)
    assert 2 <= done < CONFIG.num_updates
    assert not (tmp_path / "params.msgpack").exists()

    with pytest.raises(ValueError, match=f"unfinished run of these settings \\({done} of 100"):
        run(**RUN, out_dir=tmp_path, progress=False)
    resumed = run(**RUN, out_dir=tmp_path, progress=False, resume=True)
    assert metric_updates(tmp_path) == list(range(1, CONFIG.num_updates + 1))
    for name, curve in uninterrupted.curves.items():
        np.testing.assert_array_equal(resumed.curves[name], curve, err_msg=name)
    for a, b in zip(
        jax.tree.leaves(resumed.params), jax.tree.leaves(uninterrupted.params), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    _, _, saved = checkpoint.load(tmp_path)
    for a, b in zip(jax.tree.leaves(saved), jax.tree.leaves(uninterrupted.params), strict=True):
        np.testing.assert_array_equal(a, b)


def test_other_settings_are_refused_and_a_finished_run_is_not_trained_again(tmp_path, capsys):
    short = {**RUN, "config": CONFIG.replace(total_steps=32)}
    first = run(**short, out_dir=tmp_path, progress=False)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for changes in ({"config": CONFIG.replace(total_steps=48)}, {"partial_obs": True}):
        with pytest.raises(ValueError, match="holds a run with other settings"):
            run(**{**short, **changes}, out_dir=tmp_path, progress=False)
    capsys.readouterr()
    again = run(**short, out_dir=tmp_path, progress=False, resume=True)
    assert "finished (2 updates): nothing to do" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert metric_updates(tmp_path) == [1, 2]
    for name, curve in first.curves.items():
        np.testing.assert_array_equal(again.curves[name], curve, err_msg=name)
    for a, b in zip(jax.tree.leaves(again.params), jax.tree.leaves(first.params), strict=True):
        np.testing.assert_array_equal(a, b)
