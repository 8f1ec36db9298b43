"""Where a training update's time goes: env steps, acting, learning (forward, backward), optimizer.

    python scripts/bench_update.py                                  # PQN+LRU on CartPoleEasy
    python scripts/bench_update.py --algorithm ppo --memory gru --obs-size 128
    python scripts/bench_update.py --num-epochs 2 --num-minibatches 2    # any config field

Each part is its own jitted program, repeated `--repeats` times inside one `lax.scan` (so dispatch
costs nothing) and timed after a warm-up call (the best of three timings):

- env: `rollout_steps` steps of `num_envs` envs with random actions (what the tape's frames cost);
- acting: `rollout.collect` with the network (env + the single-step forward pass), minus env;
- learning forward: the sequence path over the tape once per minibatch of every epoch;
- learning backward: the same with the gradient of a scalar of its outputs, minus the forward;
- optimizer: one optimizer update per minibatch of every epoch, on gradient-shaped inputs;
- other: a whole update (`Trainer.update`) minus all of the above: targets, shuffles, metrics.

Prints one JSON line per part (milliseconds per update and share of the update) and a summary line
with the update's env steps/s, learning included.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import optax

from baselines.agents import ppo, pqn, rollout
from baselines.agents.config import TrainConfig
from baselines.agents.registry import ALGORITHMS, config_type, make_trainer
from baselines.agents.training import make_learner
from baselines.experiments import cli
from popgym_arcade_twins import tasks


def repeated(fun, repeats: int):
    """fun(x) -> x repeated `repeats` times in one scan; jitted."""
    return jax.jit(lambda x: jax.lax.scan(lambda c, _: (fun(c), None), x, None, repeats)[0])


def seconds_per_call(fun, x, repeats: int, trials: int = 3) -> float:
    """Seconds per call of fun in a jitted scan of `repeats` calls, compiled and warmed first;
    the best of `trials` timings (the others were slowed by whatever else the machine ran)."""
    program = repeated(fun, repeats)
    jax.block_until_ready(program(x))
    timings = []
    for _ in range(trials):
        start = time.perf_counter()
        jax.block_until_ready(program(x))
        timings.append(time.perf_counter() - start)
    return min(timings) / repeats


def parts(config: TrainConfig, env_id: str, partial_obs: bool, obs_size: int, repeats: int):
    """{part: seconds per update} for one update of `config`'s algorithm."""
    env, env_params = tasks.make(env_id, partial_obs, obs_size)
    trainer = make_trainer(config, env, env_params)
    head, make_optimizer = {"pqn": ("q", pqn.OPTIMIZER), "ppo": ("actor_critic", ppo.OPTIMIZER)}[
        config.algorithm
    ]
    logged_env, network, optimizer, _, apply_step = make_learner(
        config, env, env_params, head, make_optimizer
    )
    state = trainer.init(jax.random.key(0))
    num_actions = logged_env.action_space(env_params).n
    passes = config.num_epochs * config.num_minibatches

    def random_act(key, outputs):
        scores = outputs if head == "q" else outputs[0]
        action = jax.random.randint(key, scores.shape[:-1], 0, num_actions)
        return action, jnp.zeros(action.shape), ()

    def collect(actors, key):
        return rollout.collect(
            key, actors, state.params, logged_env, env_params, apply_step, random_act,
            lambda outputs: jnp.zeros(config.num_envs), config.rollout_steps,
        )  # fmt: skip

    step_envs = jax.vmap(logged_env.step, in_axes=(0, 0, 0, None))

    def env_only(carry):  # the frames are summed so that XLA cannot skip drawing them
        env_state, key, total = carry

        def one(carry, key):
            env_state, total = carry
            key_act, key_env = jax.random.split(key)
            action = jax.random.randint(key_act, (config.num_envs,), 0, num_actions)
            keys = jax.random.split(key_env, config.num_envs)
            obs, env_state, *_ = step_envs(keys, env_state, action, env_params)
            return (env_state, total + jnp.sum(obs, dtype=jnp.float32)), None

        key, key_steps = jax.random.split(key)
        keys = jax.random.split(key_steps, config.rollout_steps)
        (env_state, total), _ = jax.lax.scan(one, (env_state, total), keys)
        return env_state, key, total

    def acting(carry):
        actors, key = carry
        key, key_collect = jax.random.split(key)
        return collect(actors, key_collect)[0], key

    _, tape = jax.jit(collect)(state.actors, jax.random.key(1))
    steps = tape.steps
    size = config.num_envs // config.num_minibatches
    minibatch = jax.tree.map(lambda x: x[:, :size], (steps.obs, steps.start, steps.prev_action))
    carry = jax.tree.map(lambda x: x[:size], tape.carry)

    def outputs_sum(params):
        outputs = network.apply(params, carry, *minibatch)[1]
        return sum(jnp.sum(leaf) for leaf in jax.tree.leaves(outputs))

    def nudged(params, amount):  # each pass depends on the last, so none can be hoisted
        return jax.tree.map(lambda p, a: p - 1e-9 * a, params, amount)

    def forward(params):
        def one(i, params):
            total = outputs_sum(params)
            return nudged(params, jax.tree.map(lambda p: total, params))

        return jax.lax.fori_loop(0, passes, one, params)

    def forward_backward(params):
        def one(i, params):
            return nudged(params, jax.grad(outputs_sum)(params))

        return jax.lax.fori_loop(0, passes, one, params)

    def optimize(carry):
        params, opt_state = carry

        def one(i, carry):
            params, opt_state = carry
            grads = jax.tree.map(lambda p: 1e-3 * jnp.ones_like(p), params)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state

        return jax.lax.fori_loop(0, passes, one, (params, opt_state))

    timed = {
        "env": seconds_per_call(
            env_only, (state.actors.env_state, jax.random.key(2), jnp.zeros(())), repeats
        ),
        "acting": seconds_per_call(acting, (state.actors, jax.random.key(3)), repeats),
        "learning_forward": seconds_per_call(forward, state.params, repeats),
        "learning_backward": seconds_per_call(forward_backward, state.params, repeats),
        "optimizer": seconds_per_call(optimize, (state.params, state.opt_state), repeats),
        "update": seconds_per_call(lambda s: trainer.update(s)[0], state, repeats),
    }
    return {
        "env": timed["env"],
        "acting": timed["acting"] - timed["env"],
        "learning_forward": timed["learning_forward"],
        "learning_backward": timed["learning_backward"] - timed["learning_forward"],
        "optimizer": timed["optimizer"],
        "other": timed["update"]
        - timed["acting"]
        - timed["learning_backward"]
        - timed["optimizer"],
        "update": timed["update"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--algorithm", default="pqn", choices=["pqn", "ppo"])
    parser.add_argument("--env", default="CartPoleEasy")
    parser.add_argument("--pomdp", action="store_true")
    parser.add_argument("--obs-size", type=cli.positive_integer, default=64)
    parser.add_argument("--repeats", type=cli.positive_integer, default=20)
    names = cli.add_options(
        parser, [ALGORITHMS[name].config_type for name in ("pqn", "ppo")],
        label=lambda cls: cls.algorithm,
    )  # fmt: skip
    args = parser.parse_args(argv)
    config = cli.agent_config(parser, config_type(args.algorithm), cli.given(args, names))
    cli.build(parser, lambda: tasks.make(args.env, args.pomdp, args.obs_size))
    seconds = parts(config, args.env, args.pomdp, args.obs_size, args.repeats)
    update = seconds.pop("update")
    for part, value in seconds.items():
        share = round(value / update, 3)
        print(json.dumps({"part": part, "ms_per_update": round(1e3 * value, 2), "share": share}))
    summary = {
        "algorithm": config.algorithm, "memory": config.memory, "env": args.env,
        "obs_size": args.obs_size, "num_envs": config.num_envs,
        "rollout_steps": config.rollout_steps, "gradient_steps": config.num_epochs
        * config.num_minibatches, "ms_per_update": round(1e3 * update, 2),
        "env_steps_per_s": round(config.steps_per_update / update),
        "backend": jax.default_backend(),
    }  # fmt: skip
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
