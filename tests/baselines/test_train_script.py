"""scripts/train.py: each algorithm runs from the command line, and a setting an algorithm does
not have is refused before any work."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def train(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    command = [sys.executable, "scripts/train.py", "probe:one_bit", "--obs-size", "64", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_stream_q_trains_from_the_command_line():
    done = train("--algorithm", "stream_q", "--gradient", "tbptt1", "--memory", "lru",
                 "--hidden-size", "8", "--steps", "1000")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert (summary["algorithm"], summary["memory"]) == ("stream_q", "lru")
    assert summary["env_steps_per_seed"] == 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--algorithm", "stream_q", "--num-envs", "4"), "--num-envs does not apply to stream_q"),
        (("--algorithm", "pqn", "--gradient", "rtrl"), "--gradient does not apply to pqn"),
        (("--algorithm", "ppo", "--memory", "lur"), "Did you mean 'lru'"),
    ],
)
def test_settings_an_algorithm_lacks_are_refused(args, message):
    done = train(*args)
    assert done.returncode == 2
    assert message in done.stderr
