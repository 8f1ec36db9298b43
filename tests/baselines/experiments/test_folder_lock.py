import pytest

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
