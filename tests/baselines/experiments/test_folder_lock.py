import pytest

from baselines.agents.config import PQNConfig
from baselines.experiments.experiment import run
from baselines.experiments.folder_lock import exclusive


def test_a_second_writer_is_refused_until_the_first_is_done(tmp_path):
    target = tmp_path / "records.jsonl"
    refused = pytest.raises(ValueError, match=r"another process \(pid \d+\) is writing the sweep")
    with exclusive(target, "the sweep's records"), refused, exclusive(target, "the sweep's"):
        pass
    with exclusive(target, "the sweep's records"):  # released: the next writer gets it
        pass


def test_other_files_do_not_share_a_lock(tmp_path):
    shards = [tmp_path / f"records-shard-{i}-of-2.jsonl" for i in range(2)]
    with exclusive(shards[0], "shard 0"), exclusive(shards[1], "shard 1"):
        pass


def test_a_run_folder_another_process_writes_is_refused_before_any_work(tmp_path):
    out = tmp_path / "run"
    config = PQNConfig(
        num_envs=4, rollout_steps=4, hidden_size=8, num_minibatches=2, total_steps=16
    )
    refused = pytest.raises(
        ValueError, match=rf"another process \(pid \d+\) is writing the run folder {out}"
    )
    with exclusive(out, "the other run"), refused:
        run("probe:one_bit", True, config, obs_size=32, out_dir=out, progress=False)
    assert not out.exists()
