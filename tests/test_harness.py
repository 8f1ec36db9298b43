"""Evaluation, paired rollouts and the gap/bias table with bootstrap intervals."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import popgym_arcade_twins as pat
from popgym_arcade_twins import harness
from popgym_arcade_twins.harness import Policy
from popgym_arcade_twins.tasks.probes import make_probe


def colour_reader() -> Policy:
    """Scores UP by how green the frame is and DOWN by how red: the probes' oracle."""

    def apply(params, carry, obs, start):
        mean = obs.astype(jnp.float32).mean(axis=(-3, -2))  # [B, 3]
        green_minus_red = mean[:, 1] - mean[:, 0]
        zeros = jnp.zeros_like(green_minus_red)
        return carry, jnp.stack([green_minus_red, -green_minus_red, zeros, zeros, zeros], -1)

    return Policy(apply, lambda batch_shape: jnp.zeros(batch_shape))


def fixed_action(action: int) -> Policy:
    def apply(params, carry, obs, start):
        return carry, jax.nn.one_hot(jnp.full(obs.shape[0], action), pat.NUM_ACTIONS)

    return Policy(apply, lambda batch_shape: jnp.zeros(batch_shape))


def evaluate(env, params, policy, episodes=64, key=0):
    run = jax.jit(lambda key: harness.evaluate(env, params, policy, None, key, episodes))
    return np.asarray(run(jax.random.key(key)))


def test_evaluate_scores_an_oracle_and_a_blind_policy():
    env, params = make_probe("one_bit", length=5)
    assert np.all(evaluate(env, params, colour_reader()) == 1.0)
    blind = evaluate(env, params, fixed_action(pat.core.UP))
    assert set(np.unique(blind)) == {-1.0, 1.0}  # the bit is a coin flip per episode
    pomdp, _ = make_probe("one_bit", length=5, partial_obs=True)
    # On the POMDP the last frame is grey: the memoryless oracle reads nothing and says UP.
    assert np.array_equal(evaluate(pomdp, params, colour_reader()), blind)


def test_evaluate_counts_each_first_episode_once():
    env, params = make_probe("constant", length=7)
    assert np.all(evaluate(env, params, fixed_action(4), episodes=5) == 7.0)


def test_reference_returns_are_the_twins_random_and_expert_play():
    def references(partial_obs):
        env, params = make_probe("one_bit", length=5, partial_obs=partial_obs)
        run = jax.jit(lambda key: harness.reference_returns(env, params, key, 256))
        return {name: np.asarray(returns) for name, returns in run(jax.random.key(0)).items()}

    mdp, pomdp = references(False), references(True)
    assert mdp.keys() == pomdp.keys() == {"random", "expert"}
    for name in mdp:  # neither reads the frames: one state trajectory, one return
        np.testing.assert_array_equal(mdp[name], pomdp[name])
    assert np.all(mdp["expert"] == 1.0)
    assert mdp["random"].mean() == pytest.approx(1 / 5 - 4 / 5, abs=0.1)  # names the bit 1 in 5


def test_a_game_without_an_expert_has_a_random_reference_only():
    env, params = make_probe("colour")
    env.game = dataclasses.replace(env.game, expert=None)
    shapes = jax.eval_shape(
        lambda key: harness.reference_returns(env, params, key, 4), jax.random.key(0)
    )
    assert shapes.keys() == {"random"}


def test_paired_rollouts_share_the_state_whichever_twin_acts():
    mdp, pomdp, params = pat.make_twins("CartPoleEasy", obs_size=64)
    policy = fixed_action(pat.core.LEFT)  # blind: both variants take the same actions

    def run(partial_obs):
        return harness.paired_rollout(
            mdp, pomdp, params, policy, None, jax.random.key(3), 2, 40, partial_obs
        )

    on_mdp, on_pomdp = run(False), run(True)
    for a, b in zip(on_mdp, on_pomdp, strict=True):
        np.testing.assert_array_equal(a, b)
    assert on_mdp.start[0].all() and on_mdp.done.any()
    assert np.any(on_mdp.mdp_obs != on_mdp.pomdp_obs)
    assert on_mdp.mdp_obs.shape == (40, 2, 64, 64, 3) and on_mdp.mdp_obs.dtype == np.uint8
    # Episodes auto-reset: the step after a done one starts an episode.
    np.testing.assert_array_equal(on_mdp.start[1:], on_mdp.done[:-1])


def test_paired_rollout_refuses_non_twins():
    mdp, _, params = pat.make_twins("CountRecallEasy", obs_size=64)
    other, _ = pat.make("CountRecallMedium", partial_obs=True, obs_size=64)
    with pytest.raises(ValueError, match="twins"):
        harness.paired_rollout(
            mdp, other, params, fixed_action(0), None, jax.random.key(0), 1, 2, 0
        )


def test_first_episode_lengths():
    done = jnp.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0]], bool)
    np.testing.assert_array_equal(harness.first_episode_lengths(done), [2, 3, 4])


def test_gap_and_bias_from_a_hand_made_table():
    returns = {
        ("Game", "gru", "MDP"): [0.5, 0.7],
        ("Game", "gru", "POMDP"): [0.1, 0.3],
        ("Game", "none", "MDP"): [0.2, 0.4],
        ("Other", "gru", "MDP"): [0.9],
    }
    rows = {(r.env_id, r.memory): r for r in harness.gap_and_bias(returns, num_resamples=2000)}
    gru = rows["Game", "gru"]
    assert gru.mdp.value == pytest.approx(0.6) and gru.pomdp.value == pytest.approx(0.2)
    assert gru.gap.value == pytest.approx(0.4)  # J(gru, MDP) - J(gru, POMDP)
    assert gru.bias.value == pytest.approx(0.3)  # J(gru, MDP) - J(none, MDP) = 0.6 - 0.3
    # Two seeds each: resampled means of the MDP lie in {0.5, 0.6, 0.7}, of the POMDP in
    # {0.1, 0.2, 0.3}, so the 95% interval of the gap spans [0.2, 0.6].
    assert (gru.gap.low, gru.gap.high) == pytest.approx((0.2, 0.6))
    assert gru.seeds == (2, 2)
    none = rows["Game", "none"]
    assert none.mdp.value == pytest.approx(0.3)
    assert math.isnan(none.gap.value)  # no POMDP run of `none`
    assert math.isnan(none.bias.value)  # the baseline's bias is 0 by definition: not estimated
    other = rows["Other", "gru"]
    assert other.mdp.value == pytest.approx(0.9)
    assert (other.mdp.low, other.mdp.high) == pytest.approx((0.9, 0.9))  # one seed
    assert math.isnan(other.gap.value) and math.isnan(other.bias.value)


def test_bootstrap_interval_narrows_with_more_seeds():
    rng = np.random.default_rng(0)
    few = harness.bootstrap_difference(rng.normal(size=16), rng=rng)
    many = harness.bootstrap_difference(rng.normal(size=1600), rng=rng)
    assert few.low < few.value < few.high and many.low < many.value < many.high
    assert many.high - many.low < (few.high - few.low) / 5  # 1/sqrt(100) expected


def test_gap_and_bias_reject_unknown_variants():
    with pytest.raises(ValueError, match="variants"):
        harness.gap_and_bias({("Game", "gru", "pomdp"): [0.0]})
