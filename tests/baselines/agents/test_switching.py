"""Switching observability mid-training: the state trajectory runs on unbroken across the switch
(only the frames change), every algorithm's trainer for the other twin takes the runner state, a
switch at step 0 or at the end is the plain run, chunked runs equal the one-call
`switching.train` and a run stopped at the switch resumes on the other twin, and bad switch steps
are refused before any work."""

import functools
import re
import signal

import jax
import numpy as np
import pytest

from baselines.agents import switching
from baselines.agents.config import PPOConfig, PQNConfig, StreamQConfig
from baselines.experiments import checkpoint, interrupt
from baselines.experiments.experiment import run
from popgym_arcade_twins import tasks

# 3 steps per rollout: at the switch (2 updates) and at the end (5) the one_bit episodes (4 steps)
# are mid-way, so the twins' frames differ. Epsilon 1: the actions do not depend on the frames.
CONFIG = PQNConfig(num_envs=4, rollout_steps=3, hidden_size=8, num_minibatches=2, total_steps=60)
SWITCH = 2 * CONFIG.steps_per_update
RANDOM_ACTING = CONFIG.replace(epsilon_start=1.0, epsilon_end=1.0)
POMDP, PARAMS = tasks.make("probe:one_bit", True, 32)
MDP, _ = tasks.make("probe:one_bit", False, 32)


def same(a, b) -> bool:
    """Every leaf of `a` equals `b`'s (PRNG keys by their data)."""
    raw = lambda x: (
        jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x
    )
    pairs = zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    return all(np.array_equal(raw(x), raw(y)) for x, y in pairs)


def draw(env, actors):
    return jax.vmap(env.draw)(actors.env_state.env_state)


@pytest.mark.slow  # four programs; the next test checks every trainer takes the state
def test_the_state_trajectory_runs_on_across_the_switch_and_only_the_frames_change():
    switched = switching.stages(RANDOM_ACTING, POMDP, MDP, PARAMS, SWITCH)
    assert [(s.env, s.start, s.stop) for s in switched] == [(POMDP, 0, 2), (MDP, 2, 5)]
    pomdp_update, mdp_update = (jax.jit(stage.trainer.update) for stage in switched)

    # At the switch: what the POMDP's trainer produced, with the frames redrawn by the MDP.
    before, _ = updates(pomdp_update, jax.jit(switched[0].trainer.init)(jax.random.key(0)), 2)
    after = switching.enter(switched[1], before)
    for name in ("params", "opt_state", "key", "update"):
        assert same(getattr(after, name), getattr(before, name)), name
    for name in ("env_state", "carry", "start", "prev_action"):
        assert same(getattr(after.actors, name), getattr(before.actors, name)), name
    np.testing.assert_array_equal(after.actors.obs, draw(MDP, before.actors))
    assert not np.array_equal(after.actors.obs, before.actors.obs)

    # To the end: acting at random, the latent states and rewards are those of the plain POMDP
    # run (one dynamics), the frames the MDP's; the memory saw other frames, so its carry differs.
    end, returns = updates(mdp_update, after, 3)
    plain_end, plain_returns = updates(pomdp_update, before, 3)
    assert same(end.actors.env_state, plain_end.actors.env_state), "env_state"
    np.testing.assert_array_equal(returns, plain_returns)
    np.testing.assert_array_equal(end.actors.obs, draw(MDP, end.actors))
    assert not np.array_equal(end.actors.obs, plain_end.actors.obs)
    assert not same(end.actors.carry, plain_end.actors.carry)
    assert int(end.update) == CONFIG.num_updates


def updates(update, state, count: int):
    """`state` after `count` calls of `update` (as a chunked run makes them), and the episode
    returns logged on the way."""
    returns = []
    for _ in range(count):
        state, metrics = update(state)
        returns.append(metrics["episode_return"])
    return state, np.stack(returns)


@pytest.mark.parametrize(
    "config",
    [
        CONFIG,
        PPOConfig(num_envs=4, rollout_steps=3, hidden_size=8, num_minibatches=2, total_steps=24),
        StreamQConfig(hidden_size=8, total_steps=8, steps_per_update=4),
    ],
    ids=lambda config: config.algorithm,
)
def test_every_algorithm_continues_on_the_other_twin_from_the_same_runner_state(config):
    first, second = switching.stages(config, POMDP, MDP, PARAMS, config.steps_per_update)
    key = jax.random.key(0)
    state = jax.eval_shape(first.trainer.init, key)
    entered = jax.eval_shape(functools.partial(switching.enter, second), state)
    assert jax.tree.structure(entered) == jax.tree.structure(state)
    after, _ = jax.eval_shape(second.trainer.update, entered)  # the other twin's trainer takes it
    assert jax.tree.map(lambda x: (x.shape, x.dtype), after) == jax.tree.map(
        lambda x: (x.shape, x.dtype), state
    )


def train_run(partial_obs, switch_at=None):
    """A run of CONFIG, one update per chunk: every run of this file then calls the same two
    update programs (the POMDP's and the MDP's), which the session compiles once."""
    return run(
        "probe:one_bit", partial_obs, CONFIG, obs_size=32, progress=False, switch_at=switch_at,
        chunk_updates=1,
    )  # fmt: skip


def assert_same_run(a, b):
    for name, curve in a.curves.items():
        np.testing.assert_array_equal(b.curves[name], curve, err_msg=name)
    assert same(a.params, b.params)


@pytest.mark.slow  # trains with `run`, as does the next test
@pytest.mark.parametrize(("switch_at", "same_as"), [(0, False), (CONFIG.total_steps, True)])
def test_a_switch_at_the_start_or_the_end_is_the_plain_run(switch_at, same_as):
    assert_same_run(train_run(True, switch_at), train_run(same_as))


@pytest.mark.slow
def test_a_chunked_switched_run_equals_the_one_call_train():
    chunked = train_run(True, SWITCH)
    stages = switching.stages(CONFIG, POMDP, MDP, PARAMS, SWITCH)
    train = jax.vmap(functools.partial(switching.train, stages))  # over seeds, as `run` does
    state, metrics = jax.jit(train)(jax.random.key(0)[None])
    close = functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-7)  # XLA fuses the
    close(chunked.curves["loss"], metrics["loss"])  # chunks and the one call differently
    jax.tree.map(close, chunked.params, state.params)


@pytest.mark.slow
def test_a_run_stopped_at_the_switch_resumes_on_the_other_twin(tmp_path, monkeypatch):
    def stop(hint):  # as a SIGINT noted during the first chunk would
        raise interrupt.Interrupted(signal.SIGINT, hint)

    monkeypatch.setattr(interrupt, "check", stop)
    stopped = tmp_path / "stopped"
    with pytest.raises(interrupt.Interrupted):
        run_in(stopped)
    assert checkpoint.saved_updates(stopped) == 2  # saved before the MDP redrew the frames
    monkeypatch.undo()
    resumed = run_in(stopped, resume=True)
    assert_same_run(resumed, run_in(tmp_path / "uninterrupted"))  # the same programs


def run_in(out, resume=False):
    """The switched run in `out`, two updates (one stage) per chunk."""
    return run(
        "probe:one_bit", True, CONFIG, obs_size=32, progress=False, switch_at=SWITCH,
        chunk_updates=2, out_dir=out, resume=resume,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("switch_at", "message"),
    [
        (-12, "switch_at (-12) must lie between 0 and the budget (60 env steps)"),
        (72, "switch_at (72) must lie between 0 and the budget (60 env steps)"),
        (18, "not a whole number of updates of 12 env steps; the nearest valid switches are 12 "
             "and 24"),
    ],
)  # fmt: skip
def test_bad_switch_steps_are_refused_before_any_work(tmp_path, switch_at, message):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=re.escape(message)):
        run("probe:one_bit", True, CONFIG, obs_size=32, out_dir=out, switch_at=switch_at)
    assert not out.exists()
