"""The sweep: resumable after a kill, stopped cleanly by a signal, the same records from
two runs (one process on 1 device, or 2 shards, one of them on 4 devices), a report of every
record in the folder with the reference returns, switched cells beside unswitched ones, clear
config errors."""

import dataclasses
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from baselines.agents.config import StreamQConfig
from baselines.experiments import report
from baselines.experiments.records import CellRecord, RecordLog, folder_records, network_capacity
from baselines.experiments.sweep import TINY, TINY_CAPACITY, Shard, SweepConfig, run_sweep
from popgym_arcade_twins import harness, tasks
from tests.baselines.experiments.record_utils import hand_made_record, write_saliency

ROOT = Path(__file__).resolve().parents[3]
CELLS = [cell.name for cell in TINY.cells()]


def sweep_process(out: Path, devices: int = 1, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    flags = os.environ.get("XLA_FLAGS", "")  # the session's, with the device count
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}"
    command = [sys.executable, "scripts/sweep.py", "--tiny", "--no-progress", "--out", str(out)]
    return subprocess.Popen(
        [*command, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def finished(process: subprocess.Popen) -> tuple[str, str]:
    """(stdout, stderr) of a sweep that ended well."""
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    return stdout, stderr


def signalled_at_start(process: subprocess.Popen, signum: int) -> str:
    """Send `signum` once the sweep says where it writes (its first cell then starts); the
    sweep's stderr. It must stop after that cell with exit code 128 + signum, not crash."""
    lines = []
    while not (lines and "sweep: writing to" in lines[-1]):
        lines.append(process.stderr.readline())
        assert lines[-1], "the sweep ended before it said where it writes"
    process.send_signal(signum)
    _, rest = process.communicate(timeout=600)
    stderr = "".join(lines) + rest
    assert process.returncode == 128 + signum, stderr
    return stderr


def records(out: Path) -> list[CellRecord]:
    return RecordLog(out / "records.jsonl").records()


@functools.cache
def records_of_tiny() -> list[CellRecord]:
    """Records of a hand-made tiny sweep (no training): one per cell."""
    return [
        hand_made_record(
            cell.env_id,
            cell.variant,
            cell.memory,
            fingerprint=TINY.fingerprint(),
            settings=TINY.settings(),
            saliency_file=f"cells/{cell.file_stem}.npz",
            capacity=network_capacity(dataclasses.asdict(TINY.agent)),
        )
        for cell in TINY.cells()
    ]


def killed_when_recorded(process: subprocess.Popen, out: Path, count: int) -> None:
    """SIGKILL the sweep once its log holds `count` records; it must not have ended before."""
    log = out / "records.jsonl"
    while process.poll() is None and not (log.exists() and log.read_text().count("\n") >= count):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"


@pytest.fixture(scope="module")
def killed_and_rerun(tmp_path_factory) -> Path:
    """A tiny sweep stopped by SIGTERM after its first cell, run again and SIGKILLed once its
    second cell is recorded, then run again to the end (SIGINT takes the same path: one handler
    notes both, and `test_run_folder` stops training by each)."""
    out = tmp_path_factory.mktemp("sweep")
    stderr = signalled_at_start(sweep_process(out), signal.SIGTERM)
    assert "0 already recorded (skipped), 3 to run" in stderr and "stopped by SIGTERM" in stderr
    assert len(records(out)) == 1
    killed_when_recorded(sweep_process(out), out, 2)
    assert len(records(out)) == 2
    _, stderr = finished(sweep_process(out))
    assert "2 already recorded (skipped), 1 to run" in stderr
    return out


@pytest.mark.slow
def test_a_stopped_and_killed_sweep_resumes_with_every_cell_exactly_once(killed_and_rerun):
    out = killed_and_rerun
    assert sorted(r.cell for r in records(out)) == sorted(CELLS)
    for name in ("table.csv", "table.md", "returns.png", "gap_bias.png", "saliency.png"):
        assert (out / name).stat().st_size > 0
    assert "| probe:one_bit | lru |" in (out / "table.md").read_text()
    # A fourth run finds nothing left to do and changes no record.
    before = (out / "records.jsonl").read_text()
    _, stderr = finished(sweep_process(out))
    assert (out / "records.jsonl").read_text() == before
    assert f"writing to {out / 'records.jsonl'}: 3 cells, 3 already recorded (skipped)" in stderr


def assert_same_records(a: CellRecord, b: CellRecord, folders: tuple[Path, Path], close: bool):
    """`a` and `b` (read from `folders`) hold the same measurements and saliency maps; when and
    on what they ran aside. With `close`, numbers agree up to float rounding (XLA fuses a program
    sharded over devices differently), else exactly."""
    for field in dataclasses.fields(CellRecord):
        if field.name in ("wall_s", "provenance"):
            continue
        x, y = getattr(a, field.name), getattr(b, field.name)
        if json.dumps(x) == json.dumps(y):  # as JSON text: NaN equals NaN
            continue
        assert close and field.name not in ("cell", "settings", "saliency_file"), (
            f"{a.cell}: {field.name} differs"
        )
        as_float = lambda v: np.asarray(v, dtype=float)  # None (nan) -> nan
        np.testing.assert_allclose(
            as_float(x), as_float(y), rtol=1e-4, atol=1e-5, err_msg=f"{a.cell} {field.name}"
        )
    tol = {"rtol": 1e-4, "atol": 1e-7} if close else {"rtol": 0, "atol": 0}
    with np.load(folders[0] / a.saliency_file) as x, np.load(folders[1] / b.saliency_file) as y:
        for name in x.files:
            np.testing.assert_allclose(x[name], y[name], **tol, err_msg=f"{a.cell} {name}")


@pytest.mark.slow  # two more sweeps in subprocesses
def test_two_shards_one_on_four_devices_give_the_records_of_one_process(killed_and_rerun, tmp_path):
    """Two runs of the smoke preset give the same records: the killed and rerun single process
    on one device, and two shards side by side, shard 0 on one device and shard 1 with the seed
    axis sharded over 4 devices (its 2 seeds padded to 4)."""
    devices = (1, 4)
    shards = [sweep_process(tmp_path, n, "--shard", f"{i}/2") for i, n in enumerate(devices)]
    for process in shards:
        finished(process)
    for i in range(2):
        shard = RecordLog(tmp_path / f"records-shard-{i}-of-2.jsonl").records()
        assert [r.cell for r in shard] == CELLS[i::2]
    one = {r.cell: r for r in records(killed_and_rerun)}
    two = {r.cell: r for r in folder_records(tmp_path)}
    assert one.keys() == two.keys()
    for cell, record in one.items():
        sharded = cell in CELLS[1::2]
        assert_same_records(record, two[cell], (killed_and_rerun, tmp_path), close=sharded)
    table = (tmp_path / "table.md").read_text()
    assert "| probe:one_bit | lru |" in table and "| probe:one_bit | none |" in table


def test_the_report_covers_every_record_of_the_folder(tmp_path):
    """Records of a larger grid (here a made-up game) keep their rows when a smaller grid's
    sweep reruns in the folder (here with every cell of its own already recorded)."""
    extra = [
        dataclasses.replace(record, env_id="probe:extra", cell="probe:extra" + record.cell[13:])
        for record in records_of_tiny()
    ]
    log = RecordLog(tmp_path / "records.jsonl")
    for record in records_of_tiny() + extra:
        log.append(record)
    write_saliency(tmp_path, records_of_tiny())
    stdout, stderr = finished(sweep_process(tmp_path))
    assert "3 already recorded (skipped), 0 to run" in stderr
    assert "report of all 6 records" in stderr
    table = (tmp_path / "table.md").read_text()
    assert stdout.startswith(table)
    assert "| probe:extra | lru |" in table and "| probe:one_bit | lru |" in table


def reference_means(variant: str) -> tuple[float, float]:
    """The tiny sweep's game's (random, expert) mean returns on `variant`, measured here."""
    env, params = tasks.make("probe:one_bit", variant == "POMDP", TINY.obs_size)
    run = jax.jit(lambda key: harness.reference_returns(env, params, key, TINY.eval_episodes))
    returns = run(jax.random.key(0))
    return float(returns["random"].mean()), float(returns["expert"].mean())


@pytest.mark.slow  # reads the killed sweep
def test_each_record_carries_the_reference_returns_of_its_game_and_variant(killed_and_rerun):
    for record in records(killed_and_rerun):  # the killed run's, and the rerun's (some reused)
        expected = reference_means(record.variant)
        assert (record.random_return, record.expert_return) == expected, record.cell
    random, expert = reference_means("MDP")
    assert (
        f"| {random:+.2f} / {random:+.2f} | {expert:+.2f} / {expert:+.2f} | 2 |"
        in (killed_and_rerun / "table.md").read_text()
    )


@pytest.mark.slow  # trains a cell twice (before and after the switch)
def test_a_switched_cell_joins_a_folder_of_unswitched_ones_under_a_name_of_its_own(
    killed_and_rerun, tmp_path
):
    """The switched MDP LRU cell (shard 0 of 3 of the switched grid: one cell) beside the
    unswitched sweep: both in one report, neither log changed by the other."""
    shutil.copytree(killed_and_rerun, tmp_path, dirs_exist_ok=True)
    switched = dataclasses.replace(TINY, switch_at=TINY.agent.steps_per_update)
    (made,) = run_sweep(switched, tmp_path, progress=False, shard=Shard(0, 3))
    assert (made.cell, made.switch_at) == (f"{CELLS[0]}/switch-at-64", 64)
    assert (made.random_return, made.expert_return) == reference_means(made.variant)
    before = (killed_and_rerun / "records.jsonl").read_text()
    assert (tmp_path / "records.jsonl").read_text() == before
    table = report.table(folder_records(tmp_path))
    assert sorted(row.memory for row in table) == ["lru", "lru/switch-at-64", "none"]


def test_a_folder_of_another_sweep_is_refused(tmp_path):
    other = dataclasses.replace(records_of_tiny()[0], fingerprint="other")
    RecordLog(tmp_path / "records.jsonl").append(other)
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(TINY, tmp_path, progress=False)


def test_a_folder_of_another_game_version_is_refused(tmp_path):
    older = dataclasses.replace(records_of_tiny()[0], game_version=2)
    RecordLog(tmp_path / "records.jsonl").append(older)
    with pytest.raises(ValueError, match="version 2, now version 1"):
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


def test_a_capacity_grid_names_its_cells_and_leaves_the_fingerprint_to_the_rest():
    """Switched too: the capacity, then the switch, and neither in the fingerprint."""
    grid = TINY_CAPACITY
    assert grid.capacities() == ((1, 8), (1, 16), (2, 8), (2, 16))
    assert [cell.name for cell in grid.cells()[:3]] == [
        "probe:one_bit/MDP/lru/1x8", "probe:one_bit/POMDP/lru/1x8", "probe:one_bit/MDP/none/1x8",
    ]  # fmt: skip
    assert grid.train_config("none", (2, 16)).num_layers == 2
    assert grid.train_config("none", (2, 16)).hidden_size == 16
    assert dataclasses.replace(grid, layers=(3,)).fingerprint() == grid.fingerprint()
    wider = dataclasses.replace(TINY, agent=TINY.agent.replace(hidden_size=32))
    assert TINY.capacities() == (None,) and wider.fingerprint() != TINY.fingerprint()
    assert [cell.name for cell in TINY.cells()] == CELLS  # no grid: names as before
    switched = dataclasses.replace(grid, switch_at=TINY.agent.steps_per_update)
    assert switched.cells()[0].name == "probe:one_bit/MDP/lru/1x8/switch-at-64"  # both suffixes
    assert switched.fingerprint() == grid.fingerprint()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"layers": (1, 1)}, "layers must be distinct"),
        ({"hidden_sizes": (0,)}, "hidden_size must be a positive integer"),
        ({"agent": StreamQConfig(), "memories": ("rtu",), "layers": (2,)}, "one memory layer"),
    ],
)
def test_bad_capacity_grids_are_named(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **changes)


def test_a_shard_comes_from_its_flag_or_a_slurm_job_array():
    assert Shard.parse("1/3") == Shard(1, 3)
    array = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "2"}
    assert Shard.from_environment(array) == Shard(1, 2)
    assert Shard.from_environment({}) == Shard(0, 1)
    assert Shard(1, 2).cells(TINY.cells()) == TINY.cells()[1::2]
    for text in ("2/2", "1", "a/b", "-1/2"):
        with pytest.raises(ValueError, match="I/N"):
            Shard.parse(text)
