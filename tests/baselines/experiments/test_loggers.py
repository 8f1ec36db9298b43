"""Optional metric logging: TensorBoard event files and an offline Weights & Biases run hold
what training and the sweep measured."""

import struct
from pathlib import Path

import pytest

from baselines.agents.config import PQNConfig
from baselines.experiments import loggers
from baselines.experiments.experiment import run
from baselines.experiments.sweep import log_cell
from tests.baselines.experiments.record_utils import hand_made_record

pytestmark = pytest.mark.slow  # trains or runs whole scripts: CI runs it (-m "slow or not slow")

CONFIG = PQNConfig(hidden_size=8, num_envs=4, rollout_steps=4, num_minibatches=2, total_steps=64)
RUN = {"env_id": "probe:one_bit", "partial_obs": False, "config": CONFIG, "obs_size": 32}


def scalars(folder: Path) -> dict[str, dict[int, float]]:
    """tag -> step -> value of every scalar in the TensorBoard event files below `folder`."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    found: dict[str, dict[int, float]] = {}
    for path in folder.rglob("events.out.tfevents.*"):
        data, offset = path.read_bytes(), 0
        while offset < len(data):  # TFRecord: length, its crc, the record, its crc
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            event = event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length])
            offset += 16 + length
            for value in event.summary.value:
                found.setdefault(value.tag, {})[event.step] = value.simple_value
    return found


def test_training_logs_every_update_to_tensorboard(tmp_path):
    pytest.importorskip("tensorboardX")
    result = run(**RUN, out_dir=tmp_path, progress=False, log="tensorboard")
    logged = scalars(tmp_path / "tensorboard")
    assert sorted(logged["loss"]) == [16, 32, 48, 64]  # env steps after each of the 4 updates
    assert logged["loss"][64] == pytest.approx(result.curves["loss"][0, -1], rel=1e-5)


def test_a_sweep_cell_logs_its_curve_and_its_evaluation_return(tmp_path):
    pytest.importorskip("tensorboardX")
    logger = loggers.MetricLogger("tensorboard", tmp_path, "sweep", {})
    log_cell(logger, hand_made_record())
    logger.close()
    logged = scalars(tmp_path / "tensorboard")
    assert logged["CartPoleEasy/MDP/lru/train_return"] == {64: 0.25, 128: 0.75}
    assert logged["CartPoleEasy/MDP/lru/eval_return"] == {128: pytest.approx(0.375)}


def test_training_logs_to_an_offline_wandb_run(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run(**RUN, out_dir=tmp_path, progress=False, log="wandb")
    (records,) = (tmp_path / "wandb").glob("offline-run-*/*.wandb")
    data = records.read_bytes()  # protobuf records: their strings stand in plain bytes
    assert b"probe:one_bit" in data and b"episode_return" in data and b"loss" in data


def test_logging_needs_a_run_folder_and_a_known_logger():
    with pytest.raises(ValueError, match="give out_dir"):
        run(**RUN, progress=False, log="tensorboard")
    with pytest.raises(ValueError, match="log must be one of"):
        loggers.check_available("mlflow")
