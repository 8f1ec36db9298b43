"""The sweep: resumable after a kill, the same records on 1 or 4 devices, clear config errors."""

import dataclasses
import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from baselines.experiments.records import CellRecord, RecordLog
from baselines.experiments.sweep import TINY, SweepConfig, run_sweep

ROOT = Path(__file__).resolve().parents[3]
CELLS = [cell.name for cell in TINY.cells()]


def sweep_process(out: Path, devices: int = 1) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    flags = os.environ.get("XLA_FLAGS", "")  # the session's, with the device count
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}"
    command = [sys.executable, "scripts/sweep.py", "--tiny", "--no-progress", "--out", str(out)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> str:
    stdout, _ = process.communicate(timeout=600)
    assert process.returncode == 0
    return stdout


def records(out: Path) -> list[CellRecord]:
    return RecordLog(out / "records.jsonl").records()


@functools.cache
def records_of_tiny() -> list[CellRecord]:
    """Records of a hand-made tiny sweep (no training): one per cell, NaN-free JSON."""
    return [
        CellRecord(
            cell=cell.name,
            env_id=cell.env_id,
            variant=cell.variant,
            memory=cell.memory,
            fingerprint=TINY.fingerprint(),
            seeds=(0, 1),
            eval_return=(0.5, 0.25),
            eval_return_std=(0.1, 0.0),
            eval_episodes=4,
            train_env_steps=(64, 128),
            train_return=((None, 0.5), (0.25, 1.0)),
            recall_density=((0.5, 0.5), (1.0, 0.0)),
            saliency_file=f"cells/{cell.file_stem}.npz",
            wall_s=1.0,
        )
        for cell in TINY.cells()
    ]


@pytest.fixture(scope="module")
def killed_and_rerun(tmp_path_factory) -> Path:
    """A tiny sweep SIGKILLed once its first cell is recorded, then run again to the end."""
    out = tmp_path_factory.mktemp("sweep")
    process = sweep_process(out)
    log = out / "records.jsonl"
    while process.poll() is None and not (log.exists() and log.read_text().count("\n") >= 1):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
    assert 1 <= len(records(out)) < len(CELLS)
    finished(sweep_process(out))
    return out


@pytest.mark.slow
def test_a_killed_sweep_resumes_with_every_cell_exactly_once(killed_and_rerun):
    out = killed_and_rerun
    assert sorted(r.cell for r in records(out)) == sorted(CELLS)
    for name in ("table.csv", "table.md", "returns.png", "gap_bias.png", "saliency.png"):
        assert (out / name).stat().st_size > 0
    assert "| probe:one_bit | lru |" in (out / "table.md").read_text()
    # A third run finds nothing left to do and changes no record.
    before = (out / "records.jsonl").read_text()
    finished(sweep_process(out))
    assert (out / "records.jsonl").read_text() == before


@pytest.mark.slow
def test_four_devices_give_the_records_of_one(killed_and_rerun, tmp_path):
    finished(sweep_process(tmp_path, devices=4))
    one = {r.cell: r for r in records(killed_and_rerun)}
    four = {r.cell: r for r in records(tmp_path)}
    assert one.keys() == four.keys()
    for cell, record in one.items():
        for field in ("eval_return", "recall_density", "train_return"):
            a = np.asarray(getattr(record, field), float)
            b = np.asarray(getattr(four[cell], field), float)
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"{cell} {field}")


def test_a_folder_of_another_sweep_is_refused(tmp_path):
    other = dataclasses.replace(records_of_tiny()[0], fingerprint="other")
    RecordLog(tmp_path / "records.jsonl").append(other)
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(TINY, tmp_path, progress=False)


def test_a_record_cut_short_by_a_kill_is_dropped(tmp_path):
    path = tmp_path / "records.jsonl"
    whole = records_of_tiny()[0].to_json()
    path.write_text(whole + "\n" + whole[: len(whole) // 2])
    assert RecordLog(path).records() == records_of_tiny()[:1]


def test_a_record_reads_back_equal_to_the_one_written(tmp_path):
    log = RecordLog(tmp_path / "records.jsonl")
    for record in records_of_tiny():
        log.append(record)
    assert log.records() == records_of_tiny()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"baseline": "lstm"}, "lstm"),
        ({"seeds": (0, 0)}, "distinct"),
        ({"memories": ("lstm",)}, "lstm"),
        ({"memories": ()}, "at least one"),
    ],
)
def test_bad_sweep_settings_are_named(changes, message):
    with pytest.raises((ValueError, KeyError), match=message):  # KeyError: the model table's
        SweepConfig(**changes)
