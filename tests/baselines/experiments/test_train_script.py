"""scripts/train.py: each algorithm runs from the command line, and a setting an algorithm does
not have, or a folder holding another run, is refused before any work."""

import json

import pytest

from baselines.agents.config import PQNConfig
from baselines.experiments import checkpoint
from scripts import train


def run_train(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    argv = ["train.py", "probe:one_bit", "--obs-size", "64", *args]
    monkeypatch.setattr("sys.argv", argv)
    train.main()


def test_stream_q_trains_from_the_command_line(monkeypatch, capsys):
    run_train(monkeypatch, "--algorithm", "stream_q", "--gradient", "tbptt1", "--memory", "lru",
              "--hidden-size", "8", "--steps", "1000")  # fmt: skip
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
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
def test_settings_an_algorithm_lacks_are_refused(monkeypatch, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        run_train(monkeypatch, *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_folder_of_another_run_is_refused_in_one_line(monkeypatch, tmp_path):
    meta = {"env_id": "CartPoleEasy", "partial_obs": False, "obs_size": 64, "seeds": [0]}
    checkpoint.write_config(tmp_path, PQNConfig(), **meta)
    with pytest.raises(SystemExit) as exit_info:
        run_train(monkeypatch, "--out", str(tmp_path), "--steps", "1e4")
    message = str(exit_info.value.code)
    assert message.startswith("train.py: error: ") and "\n" not in message
    assert "holds a run with other settings (env_id, config.total_steps differ)" in message
