"""Can the agents' encoder read from one frame what a policy needs?

Supervised probes, no RL. Each trains the agents' `Encoder` with one linear layer on top (Adam,
cross-entropy) on the frames of one twin, each labelled from its state, and prints one JSON line
per twin and checkpoint: the label's base rate (the share of held-out frames with its most common
value) and the held-out accuracy.

- `cursor-shot` (BattleShip): has the cell under the cursor been shot? On frames of uniformly
  random play. Fire-when-unshot is what a memoryless policy needs to find most ships (the POMDP
  draws exactly that cell's marker), so a high accuracy says that the frames and the encoder carry
  it, and a reinforcement learner that does not fire there fails elsewhere.
- `expert-action` (any game with a scripted expert): the expert's action, on frames of the expert
  acting with probability 1 - EPSILON and uniformly at random otherwise (so the frames leave the
  expert's own path). The probe is then a memoryless policy that imitates the expert, and each
  line also gives its greedy return (`harness.evaluate`: the first episodes of EVAL_EPISODES envs)
  beside the random and the expert policy's on the same episodes. A high return on an MDP says
  that one frame is enough to act well there and that this encoder can learn to read it, so a
  reinforcement learner far below it fails at the learning, not at the seeing.

Frames: NUM_ENVS envs x NUM_STEPS steps from key 0 to train on, the same from key 1 held out.

    python scripts/bench_encoder.py                      # cursor-shot, both twins, 2,000 steps
    python scripts/bench_encoder.py --variants pomdp --steps 500
    python scripts/bench_encoder.py --probe expert-action --variants mdp  # 3 games
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from baselines.agents.networks import Encoder
from baselines.experiments import cli
from popgym_arcade_twins import harness, tasks, testing
from popgym_arcade_twins.core import NUM_ACTIONS, TwinEnv
from popgym_arcade_twins.envs import battleship
from popgym_arcade_twins.testing import Act

NUM_ENVS, NUM_STEPS, BATCH, CHECKPOINTS = 128, 128, 256, 4
EPSILON, EVAL_EPISODES = 0.5, 64
EVAL_SEED = 5  # the key of the episodes the imitation and the references are played on


class ProbeSpec(NamedTuple):
    """What a probe predicts (`label(env, params)` maps one state to an int32 class of
    `classes`; with `is_action`, an action, so the probe is a policy and is also played), on
    frames of which `behaviour(env, params)` policy, and which games it reads."""

    description: str
    classes: int
    is_action: bool
    label: Callable[[TwinEnv, Any], Callable[[Any], jax.Array]]
    behaviour: Callable[[TwinEnv, Any], Act]
    accepts: Callable[[TwinEnv], bool]
    requirement: str  # what `accepts` asks, for the error message


def noisy_expert(env: TwinEnv, params: Any) -> Act:
    """The scripted expert, replaced by a uniformly random action with probability EPSILON."""
    expert = testing.expert_policy(env, params)

    def act(key, obs, state, carry, start):
        key_expert, key_random, key_explore = jax.random.split(key, 3)
        _, chosen = expert(key_expert, obs, state, carry, start)
        _, random = testing.random_policy(key_random, obs, state, carry, start)
        explore = jax.random.uniform(key_explore, start.shape) < EPSILON
        return carry, jnp.where(explore, random, chosen)

    return act


def cursor_shot(env: TwinEnv, params: Any) -> Callable[[Any], jax.Array]:
    return lambda state: battleship.cursor_was_shot(state).astype(jnp.int32)


def expert_action(env: TwinEnv, params: Any) -> Callable[[Any], jax.Array]:
    return lambda state: env.game.expert(state, env.config, params).astype(jnp.int32)


PROBES = {
    "cursor-shot": ProbeSpec(
        description="cursor cell shot", classes=2, is_action=False, label=cursor_shot,
        behaviour=lambda env, params: testing.random_policy,
        accepts=lambda env: env.game.name == "BattleShip", requirement="a BattleShip game",
    ),
    "expert-action": ProbeSpec(
        description="expert's action", classes=NUM_ACTIONS, is_action=True, label=expert_action,
        behaviour=noisy_expert,
        accepts=lambda env: env.game.expert is not None,
        requirement="a game with a scripted expert",
    ),
}  # fmt: skip
DEFAULT_ENVS = {
    "cursor-shot": ["BattleShipEasy"],
    "expert-action": ["MineSweeperEasy", "NavigatorEasy", "BattleShipEasy"],
}


class Probe(nn.Module):
    features: int
    classes: int

    @nn.compact
    def __call__(self, frames: jax.Array) -> jax.Array:
        return nn.Dense(self.classes)(Encoder(self.features)(frames))


def labelled_frames(
    env: TwinEnv, params: Any, spec: ProbeSpec, key: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Frames [N, S, S, 3] of `spec`'s behaviour policy and their int32 labels [N]."""
    label = jax.vmap(spec.label(env, params))

    def record(step):
        return step.obs, label(step.state)

    act = spec.behaviour(env, params)
    _, (frames, labels) = testing.run(env, params, act, key, NUM_ENVS, NUM_STEPS, record=record)
    return frames.reshape(-1, *frames.shape[2:]), labels.reshape(-1)


def imitation_return(env: TwinEnv, params: Any, net: Probe) -> Callable[[Any], jax.Array]:
    """Jitted: the probe's weights -> its mean greedy return as a memoryless policy (the
    episodes of EVAL_SEED)."""
    policy = harness.Policy(lambda w, carry, obs, start: (carry, net.apply(w, obs)), lambda _: ())
    key = jax.random.key(EVAL_SEED)
    return jax.jit(lambda w: harness.evaluate(env, params, policy, w, key, EVAL_EPISODES).mean())


def reference_returns(env: TwinEnv, params: Any) -> dict[str, float]:
    """Mean returns of the random and expert policies on the imitation's episodes."""
    returns = harness.reference_returns(env, params, jax.random.key(EVAL_SEED), EVAL_EPISODES)
    return {f"{name}_return": round(float(r.mean()), 4) for name, r in returns.items()}


def probe(
    spec: ProbeSpec, env_id: str, partial_obs: bool, steps: int, features: int,
    learning_rate: float, obs_size: int,
) -> list[dict]:  # fmt: skip
    """JSON records of the held-out accuracy after each of `CHECKPOINTS` equal parts of training."""
    env, params = tasks.make(env_id, partial_obs, obs_size)
    data = jax.jit(lambda key: labelled_frames(env, params, spec, key))
    (train_x, train_y), (test_x, test_y) = data(jax.random.key(0)), data(jax.random.key(1))
    net, optimizer = Probe(features, spec.classes), optax.adam(learning_rate)
    weights = net.init(jax.random.key(2), train_x[:1])
    opt_state = optimizer.init(weights)

    def loss(weights, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(net.apply(weights, x), y).mean()

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

    accuracy = jax.jit(lambda w: jnp.mean(jnp.argmax(net.apply(w, test_x), -1) == test_y))
    base_rate = jnp.bincount(test_y, length=spec.classes).max() / test_y.shape[0]
    if spec.is_action:  # the probe is a policy: play it at each checkpoint beside the references
        played, references = imitation_return(env, params, net), reference_returns(env, params)
    records = []
    for part in range(CHECKPOINTS):
        weights, opt_state = train(weights, opt_state, jax.random.key(3 + part))
        record = {
            "env_id": env_id, "variant": "pomdp" if partial_obs else "mdp", "obs_size": obs_size,
            "label": spec.description, "train_frames": int(train_x.shape[0]),
            "base_rate": round(float(base_rate), 4), "steps": (part + 1) * (steps // CHECKPOINTS),
            "held_out_accuracy": round(float(accuracy(weights)), 4),
            "backend": jax.default_backend(),
        }  # fmt: skip
        if spec.is_action:
            record |= {"imitation_return": round(float(played(weights)), 4), **references}
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--probe", choices=list(PROBES), default="cursor-shot")
    parser.add_argument("--envs", nargs="+", help="env ids (default: per probe, see above)")
    parser.add_argument("--variants", nargs="+", default=["mdp", "pomdp"], choices=["mdp", "pomdp"])
    parser.add_argument("--steps", type=cli.positive_integer, default=2000, help="Adam steps")
    parser.add_argument("--features", type=cli.positive_integer, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--obs-size", type=cli.positive_integer, default=64)
    args = parser.parse_args(argv)
    if args.steps < CHECKPOINTS:
        parser.error(f"--steps must be at least {CHECKPOINTS} (one per checkpoint)")
    spec, env_ids = PROBES[args.probe], args.envs or DEFAULT_ENVS[args.probe]
    for env_id in env_ids:
        env, _ = cli.build(parser, lambda env_id=env_id: tasks.make(env_id, False, args.obs_size))
        if not spec.accepts(env):
            parser.error(f"--probe {args.probe} needs {spec.requirement}, got {env_id}")
    for env_id in env_ids:
        for variant in args.variants:
            for record in probe(
                spec, env_id, variant == "pomdp", args.steps, args.features,
                args.learning_rate, args.obs_size,
            ):  # fmt: skip
                print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
