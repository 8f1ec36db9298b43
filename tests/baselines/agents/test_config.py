"""Config checks: every baseline's config refuses bad values with an error naming them."""

import pytest

from baselines.agents.config import DQNConfig, PPOConfig, PQNConfig, StreamQConfig


@pytest.mark.parametrize("config_class", [PQNConfig, PPOConfig, StreamQConfig, DQNConfig])
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


@pytest.mark.parametrize("config_class", [PQNConfig, DQNConfig])
def test_epsilon_must_be_a_probability(config_class):
    with pytest.raises(ValueError, match=r"epsilon_start, epsilon_end and epsilon_fraction must"):
        config_class(epsilon_end=1.5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"buffer_segments": 8}, r"buffer_segments \(8\) must hold one update's 16 segments"),
        ({"target_update_interval": 0}, "target_update_interval must be a positive integer"),
        ({"learning_starts": -1}, r"learning_starts \(-1\) must lie in \[0, 1000000\]"),
        ({"total_steps": 1200}, r"learning_starts \(2000\) must lie in \[0, 1200\]"),
        ({"num_minibatches": 3}, "must be a multiple of num_minibatches"),
    ],
)
def test_dqn_checks(changes, message):
    with pytest.raises(ValueError, match=message):
        DQNConfig(**changes)


def test_dqn_counts_gradient_steps_from_its_first_learning_update():
    config = DQNConfig(total_steps=4000, learning_starts=1000)  # 10 updates of 400 env steps
    assert config.first_learning_update == 2  # the rollout that reaches 1,200 env steps
    assert config.gradient_steps == (10 - 2) * 4 * 4
    assert config.replace(learning_starts=800).first_learning_update == 1
    assert (
        config.replace(learning_starts=0).gradient_steps
        == PQNConfig()
        .replace(num_envs=16, num_minibatches=4, total_steps=4000, rollout_steps=25)
        .gradient_steps
    )


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
