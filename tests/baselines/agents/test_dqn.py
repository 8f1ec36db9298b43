"""DQN: its replay ring, the segments it stores, its lagging target network, a jitted run, and
learning a memory probe."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from baselines.agents import dqn, replay
from baselines.agents.config import DQNConfig
from baselines.agents.networks import as_policy
from popgym_arcade_twins import harness
from popgym_arcade_twins.tasks.probes import make_probe
from tests.compiling import jit

TINY = DQNConfig(
    hidden_size=8, num_envs=4, rollout_steps=4, num_minibatches=2, buffer_segments=8,
    learning_starts=0, total_steps=6 * 16,
)  # fmt: skip


def _rows(*values):
    values = jnp.asarray(values, jnp.float32)
    return {"x": values, "y": jnp.stack([values, -values], 1)}


def test_the_ring_writes_wraps_and_samples_only_written_rows():
    buffer = replay.empty(_rows(0, 0), capacity=5)
    assert buffer.capacity == 5 and int(buffer.size) == 0
    add = jax.jit(replay.add)
    buffer = add(buffer, _rows(1, 2))
    assert (int(buffer.position), int(buffer.size)) == (2, 2)
    drawn = jax.jit(replay.sample, static_argnums=2)(buffer, jax.random.key(0), 200)
    assert set(np.asarray(drawn["x"]).tolist()) == {1.0, 2.0}  # never an empty row's 0
    np.testing.assert_array_equal(drawn["y"][:, 1], -drawn["x"])  # rows stay whole
    buffer = add(add(buffer, _rows(3, 4)), _rows(5, 6))  # 6 rows into 5: the oldest goes
    np.testing.assert_array_equal(buffer.rows["x"], [6, 2, 3, 4, 5])
    assert (int(buffer.position), int(buffer.size)) == (1, 5)
    drawn = replay.sample(buffer, jax.random.key(1), 500)
    assert set(np.asarray(drawn["x"]).tolist()) == {2.0, 3.0, 4.0, 5.0, 6.0}
    with pytest.raises(ValueError, match="6 rows do not fit a buffer of 5"):
        replay.add(buffer, _rows(*range(6)))


def _trainer(config, task="one_bit", partial_obs=True):
    env, params = make_probe(task, partial_obs=partial_obs)
    return dqn.make_train(config, env, params), env, params


@pytest.fixture(scope="module")
def stepped():
    """A trainer's config, its network and its states after 0, 1, ... 6 updates (one compile)."""
    config = TINY.replace(memory="gru", target_update_interval=3, learning_rate=1e-2)
    trainer, _, _ = _trainer(config)
    update = jit(lambda state: trainer.update(state)[0])
    states = [jit(trainer.init)(jax.random.key(0))]
    for _ in range(6):
        states.append(update(states[-1]))
    return config, trainer.network, states


def test_a_stored_segment_starts_from_the_carry_its_stream_had(stepped):
    # Segment 0 of env b was collected with the init's parameters: replayed from its stored
    # carry with them, it must end at the carry stored with segment 1 of env b; and its extra
    # observation must be segment 1's first.
    config, network, states = stepped
    rows, b = states[2].buffer.rows, config.num_envs  # rows [:b]: update 0, [b:2b]: update 1
    first = jax.tree.map(lambda leaf: leaf[:b], rows)
    time_major = lambda x: jnp.swapaxes(x, 0, 1)[:-1]
    carry, _ = network.apply(
        states[0].params, first.carry, time_major(first.obs), time_major(first.start),
        time_major(first.prev_action),
    )  # fmt: skip
    stored = jax.tree.map(lambda leaf: leaf[b : 2 * b], rows.carry)  # a carry per layer
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, atol=1e-5), carry, stored)
    np.testing.assert_array_equal(first.obs[:, -1], rows.obs[b : 2 * b, 0])
    np.testing.assert_array_equal(first.prev_action[:, -1], first.action[:, -1])


def test_the_target_network_is_the_online_one_as_of_the_last_refresh(stepped):
    config, _, states = stepped
    same = lambda a, b: all(
        np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )
    refreshed = states[0].params
    for done, state in enumerate(states[1:], 1):
        assert not same(state.params, states[done - 1].params)  # learning_starts 0: all learn
        if done % config.target_update_interval == 0:
            refreshed = state.params
        assert same(state.target_params, refreshed), done


def test_train_jits_and_learns_only_from_learning_starts():
    config = TINY.replace(memory="gru", num_layers=2, learning_starts=2 * TINY.steps_per_update)
    assert config.first_learning_update == 1 and config.previous_action and config.residual
    trainer, _, _ = _trainer(config, "colour", partial_obs=False)
    state, metrics = jit(trainer.train)(jax.random.key(0))
    metrics = {k: np.asarray(v) for k, v in metrics.items()}
    assert int(state.update) == config.num_updates == 6
    assert int(state.buffer.size) == config.buffer_segments  # 24 segments written into 8
    learned = ("loss", "q_taken", "q_target", "q_margin", "greedy_mode_share")
    for name, values in metrics.items():
        assert values.shape == (config.num_updates,), name
        if name in learned:
            assert np.all(np.isnan(values[:1])) and np.all(np.isfinite(values[1:])), name
        else:
            assert np.all(np.isfinite(values)), name  # colour's episodes end every step


def _eval_return(memory: str, updates: int) -> float:
    config = DQNConfig(
        memory=memory, hidden_size=32, num_envs=32, rollout_steps=16, num_minibatches=2,
        learning_rate=1e-3, learning_starts=0, total_steps=updates * 32 * 16,
    )  # fmt: skip
    trainer, env, params = _trainer(config)

    def run(key):
        state, _ = trainer.train(key)
        policy = as_policy(trainer.network)
        return harness.evaluate(env, params, policy, state.params, jax.random.key(1), 256)

    return float(jnp.mean(jit(run, level=1)(jax.random.key(0))))  # runs for seconds


@pytest.mark.slow
def test_one_bit_memory_is_learned_only_with_memory():
    # the POMDP shows the bit on the first frame only; greedy evaluation: +1 right, -1 wrong
    assert _eval_return("gru", updates=40) > 0.8
    assert abs(_eval_return("none", updates=40)) < 0.3
