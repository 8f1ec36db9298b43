"""Config checks: every baseline's config refuses bad values with an error naming them."""

import pytest

from baselines.agents.config import PPOConfig, PQNConfig, StreamQConfig


@pytest.mark.parametrize("config_class", [PQNConfig, PPOConfig, StreamQConfig])
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"memory": "lur"}, "Did you mean 'lru'"),
        ({"hidden_size": 0}, "hidden_size must be a positive integer"),
        ({"total_steps": 10}, r"total_steps \(10\) is less than one update"),
        ({"gamma": 1.5}, r"gamma and lam must lie in \[0, 1\]"),
        ({"lam": -0.1}, r"gamma and lam must lie in \[0, 1\]"),
    ],
)
def test_shared_checks(config_class, changes, message):
    if config_class is StreamQConfig and "memory" in changes:
        changes = changes | {"gradient": "tbptt1"}
    with pytest.raises((KeyError, ValueError), match=message):
        config_class(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"num_envs": 0}, "num_envs must be a positive integer"),
        ({"num_minibatches": 3}, "must be a multiple of num_minibatches"),
    ],
)
def test_batched_checks(changes, message):
    with pytest.raises(ValueError, match=message):
        PQNConfig(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps_per_update": 0}, "steps_per_update must be a positive integer"),
        ({"gradient": "bptt"}, "gradient must be 'rtrl' or 'tbptt1'"),
        ({"learning_rate": 0.0}, "learning_rate and kappa must be positive"),
    ],
)
def test_streaming_checks(changes, message):
    with pytest.raises(ValueError, match=message):
        StreamQConfig(**changes)


def test_defaults_are_valid_and_count_updates():
    assert PQNConfig(num_envs=64, rollout_steps=64, total_steps=64 * 64 * 3 + 5).num_updates == 3
    assert StreamQConfig(total_steps=1_250, steps_per_update=500).num_updates == 2
    assert PPOConfig().replace(num_envs=8, num_minibatches=2).steps_per_update == 8 * 64


def test_num_layers_must_be_positive():
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        PQNConfig(num_layers=0)


def test_the_memoryless_baseline_never_reads_its_previous_action():
    assert PQNConfig(memory="gru", previous_action=True).reads_previous_action
    assert not PQNConfig(memory="none", previous_action=True).reads_previous_action
    assert not PPOConfig(memory="gru", previous_action=False).reads_previous_action
