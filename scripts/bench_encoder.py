"""Can the agents' encoder read from one frame what a reactive BattleShip policy needs?

A supervised probe, no RL: frames of uniformly random play on BattleShipEasy (64 envs x 128 steps
from key 0 to train on, the same from key 1 held out), each labelled with whether the cell under
the cursor has been shot, and the agents' `Encoder` with one linear logit on top trained by Adam
on that label. Prints one JSON line per twin and checkpoint: the label's base rate and the
held-out accuracy. Fire-when-unshot is what a memoryless policy needs to find most ships (the
POMDP draws exactly that cell's marker), so a high accuracy here says that the frames and the
encoder carry it, and a reinforcement learner that does not fire there fails elsewhere.

    python scripts/bench_encoder.py                      # both twins, 2,000 steps
    python scripts/bench_encoder.py --variants pomdp --steps 500
"""

from __future__ import annotations

import argparse
import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from baselines.agents.networks import Encoder
from baselines.experiments import cli
from popgym_arcade_twins import tasks, testing
from popgym_arcade_twins.envs import battleship

ENV_ID, NUM_ENVS, NUM_STEPS, BATCH, CHECKPOINTS = "BattleShipEasy", 64, 128, 256, 4


class Probe(nn.Module):
    features: int

    @nn.compact
    def __call__(self, frames: jax.Array) -> jax.Array:
        return nn.Dense(1)(Encoder(self.features)(frames))[..., 0]


def labelled_frames(env, params, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Frames [N, S, S, 3] of random play and float labels [N]: the cursor's cell was shot."""

    def record(step):
        return step.obs, jax.vmap(battleship.cursor_was_shot)(step.state)

    _, (frames, shot) = testing.run(
        env, params, testing.random_policy, key, NUM_ENVS, NUM_STEPS, record=record
    )
    return frames.reshape(-1, *frames.shape[2:]), shot.reshape(-1).astype(jnp.float32)


def probe(partial_obs: bool, steps: int, features: int, learning_rate: float, obs_size: int):
    """JSON records of the held-out accuracy after each of `CHECKPOINTS` equal parts of training."""
    env, params = tasks.make(ENV_ID, partial_obs, obs_size)
    data = jax.jit(lambda key: labelled_frames(env, params, key))
    (train_x, train_y), (test_x, test_y) = data(jax.random.key(0)), data(jax.random.key(1))
    net, optimizer = Probe(features), optax.adam(learning_rate)
    weights = net.init(jax.random.key(2), train_x[:1])
    opt_state = optimizer.init(weights)

    def loss(weights, x, y):
        return optax.sigmoid_binary_cross_entropy(net.apply(weights, x), y).mean()

    @jax.jit
    def train(weights, opt_state, key):
        def body(carry, key):
            weights, opt_state = carry
            batch = jax.random.randint(key, (BATCH,), 0, train_x.shape[0])
            grads = jax.grad(loss)(weights, train_x[batch], train_y[batch])
            updates, opt_state = optimizer.update(grads, opt_state)
            return (optax.apply_updates(weights, updates), opt_state), None

        keys = jax.random.split(key, steps // CHECKPOINTS)
        return jax.lax.scan(body, (weights, opt_state), keys)[0]

    accuracy = jax.jit(lambda w: jnp.mean((net.apply(w, test_x) > 0) == (test_y > 0.5)))
    records = []
    for part in range(CHECKPOINTS):
        weights, opt_state = train(weights, opt_state, jax.random.key(3 + part))
        records.append({
            "env_id": ENV_ID, "variant": "pomdp" if partial_obs else "mdp", "obs_size": obs_size,
            "label": "cursor cell shot", "train_frames": int(train_x.shape[0]),
            "base_rate": round(float(test_y.mean()), 4),
            "steps": (part + 1) * (steps // CHECKPOINTS),
            "held_out_accuracy": round(float(accuracy(weights)), 4),
            "backend": jax.default_backend(),
        })  # fmt: skip
    return records


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", nargs="+", default=["mdp", "pomdp"], choices=["mdp", "pomdp"])
    parser.add_argument("--steps", type=cli.positive_integer, default=2000, help="Adam steps")
    parser.add_argument("--features", type=cli.positive_integer, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--obs-size", type=cli.positive_integer, default=64)
    args = parser.parse_args(argv)
    if args.steps < CHECKPOINTS:
        parser.error(f"--steps must be at least {CHECKPOINTS} (one per checkpoint)")
    cli.build(parser, lambda: tasks.make(ENV_ID, False, args.obs_size))
    for variant in args.variants:
        for record in probe(
            variant == "pomdp", args.steps, args.features, args.learning_rate, args.obs_size
        ):
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
