"""rejax trains on a twin env behind `compat.ArcadeEnv` with no other glue.

The task is the one_bit probe's MDP at 32 px: name the colour shown at the last of 4 steps, +1
right and -1 wrong, so a random policy scores -0.6 and a learned one 1.
"""

import jax
import numpy as np
import pytest

rejax = pytest.importorskip(
    "rejax", reason="rejax is not installed (pip install -e '.[clients]' brings it)"
)

from popgym_arcade_twins.compat import ArcadeEnv  # noqa: E402
from popgym_arcade_twins.tasks import make  # noqa: E402

pytestmark = pytest.mark.slow  # trains or runs whole scripts: CI runs it (-m "slow or not slow")

SETTINGS = {
    "PPO": {"num_envs": 16, "num_steps": 64, "num_epochs": 2, "num_minibatches": 4},
    "PQN": {"num_envs": 16, "num_steps": 16, "num_epochs": 2, "num_minibatches": 4},
}


@pytest.mark.parametrize("algorithm", SETTINGS)
def test_rejax_learns_the_one_bit_probe(algorithm):
    env, params = make("probe:one_bit", partial_obs=False, obs_size=32)
    algo = getattr(rejax, algorithm).create(
        env=ArcadeEnv(env),
        env_params=params,
        total_timesteps=8192,
        eval_freq=4096,
        normalize_observations=True,
        learning_rate=1e-3,
        **SETTINGS[algorithm],
    )
    _, (lengths, returns) = jax.jit(algo.train)(jax.random.key(0))
    returns = np.asarray(returns)  # [evaluations, episodes]: before training, then every 4096
    assert returns.shape == (3, 128) and np.isfinite(returns).all()
    assert (np.asarray(lengths) == 4).all()
    assert returns[-1].mean() > 0.5 > returns[0].mean()
