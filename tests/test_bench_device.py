"""scripts/bench_device.py --tiny: every part runs and prints well-formed lines of positive
numbers, the same lines it writes to --out."""

import json

import pytest

from scripts import bench_device

pytestmark = pytest.mark.slow  # trains or runs whole scripts: CI runs it (-m "slow or not slow")

COMMON = ("part", "figure", "device", "backend", "jax", "jaxlib")
POSITIVE = {  # figure -> its fields that must be positive numbers
    "env_steps_per_s": ("obs_size", "num_envs", "num_steps", "compile_s", "steps_per_s"),
    "train_steps_per_s": ("obs_size", "num_envs", "updates", "env_steps", "compile_s", "run_s",
                          "steps_per_s"),
    "fwd_bwd_s": ("batch", "seq", "hidden", "compile_s", "run_s", "best_s"),
    "cell_wall_s": ("seeds", "env_steps_per_seed", "wall_s"),
    "part_wall_s": ("wall_s",),
}  # fmt: skip


def test_tiny_run_prints_every_figure(tmp_path, capsys):
    out = tmp_path / "bench.jsonl"
    lines = bench_device.main(["--tiny", "--workers", "2", "--out", str(out)])
    printed = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    written = [json.loads(text) for text in out.read_text().splitlines()]
    assert printed == written == lines
    assert list(dict.fromkeys(line["part"] for line in lines)) == list(bench_device.PARTS)
    for line in lines:
        assert line["figure"] != "error", line
        assert all(line[key] for key in COMMON), line
        for key in POSITIVE[line["figure"]]:
            assert isinstance(line[key], int | float) and line[key] > 0, (key, line)
    speedups = [line["speedup_vs_sequential"] for line in lines if line["figure"] == "fwd_bwd_s"
                and line["mode"] != "sequential"]  # fmt: skip
    assert speedups and all(speedup > 0 for speedup in speedups)
    for part in bench_device.PARTS:
        assert [line["figure"] for line in lines if line["part"] == part][-1] == "part_wall_s"


def test_parts_are_chosen_by_name():
    assert bench_device.parse_args(["--parts", "memory", "envs"]).parts == ["memory", "envs"]
