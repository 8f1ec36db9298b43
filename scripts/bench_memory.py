"""Benchmark the memory models: forward + backward time of the sequence path (parallel: the
default; associative: memoroids forced to the log-depth scan) versus sequential (a lax.scan of
the single step), one JSON line per model and mode.

    python -m scripts.bench_memory [--batch 64] [--seq 1024] [--hidden 128] [--models lru,gru]

(from the repository root; `python scripts/bench_memory.py` once the package is installed).

Compile and run seconds are separate. A model's modes are compiled first and then called in
turn, --repeats rounds after a warm-up one, so that a slow spell of a shared machine slows every
mode alike; run_s is the median and best_s the fastest of each mode's calls, each timed after
block_until_ready. temp_gib is XLA's scratch memory for the program. gru has no parallel path,
so it reports only `sequential`.
"""

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp

from baselines.memory import MEMORY_MODELS, Memoroid, MemoryModel

# mode -> (method, prefix scan of memoroids): "parallel" is the default sequence path, whose
# prefix scan the backend chooses (see base.prefix_carries); "associative" forces the log-depth
# scan; "sequential" is the lax.scan of the single step.
MODES = {
    "parallel": ("__call__", "auto"),
    "associative": ("__call__", "associative"),
    "sequential": ("sequential", "auto"),
}


def model_names(text: str) -> list[str]:
    names = text.split(",")
    for name in names:
        if name not in MEMORY_MODELS:
            raise argparse.ArgumentTypeError(
                f"unknown model {name!r}; valid: {', '.join(MEMORY_MODELS)}"
            )
    return names


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seq", type=int, default=1024)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--models",
        type=model_names,
        default=list(MEMORY_MODELS),
        help="comma-separated names (default: all)",
    )
    return parser.parse_args()


def compile_mode(
    model: MemoryModel, mode: str, x: jax.Array, start: jax.Array, options: dict | None = None
) -> tuple:
    """(call, record): a call running value_and_grad of mean(y^2) w.r.t. the parameters to
    completion, and the compile seconds and scratch memory of its program. `options` are XLA
    compile options."""
    method, prefix_scan = MODES[mode]
    if isinstance(model, Memoroid):
        model = model.clone(prefix_scan=prefix_scan)
    carry = model.initialize_carry(start.shape[1:])
    params = jax.jit(model.init)(jax.random.key(0), carry, (x[:1], start[:1]))

    def loss(params, carry, x, start):
        _, y = model.apply(params, carry, (x, start), method=method)
        return jnp.mean(y**2)

    begin = time.perf_counter()
    step = jax.jit(jax.value_and_grad(loss)).lower(params, carry, x, start).compile(options)
    compile_s = time.perf_counter() - begin
    temp_gib = step.memory_analysis().temp_size_in_bytes / 2**30
    call = lambda: jax.block_until_ready(step(params, carry, x, start))
    return call, {"compile_s": round(compile_s, 3), "temp_gib": round(temp_gib, 3)}


def bench(model: MemoryModel, modes: list[str], x: jax.Array, start: jax.Array, repeats: int):
    """One record per mode: compile seconds, scratch memory, median and best run seconds."""
    compiled = {mode: compile_mode(model, mode, x, start) for mode in modes}
    yield from time_modes(compiled, repeats)


def time_modes(compiled: dict[str, tuple], repeats: int):
    """(mode, record) per mode of `compiled` (mode -> `compile_mode`'s pair), its calls timed
    round-robin: the record gains the median and best run seconds."""
    times = {mode: [] for mode in compiled}
    for round_ in range(repeats + 1):  # round 0 warms up
        for mode, (call, _) in compiled.items():
            begin = time.perf_counter()
            call()
            if round_:
                times[mode].append(time.perf_counter() - begin)
    for mode, (_, record) in compiled.items():
        run_s, best_s = statistics.median(times[mode]), min(times[mode])
        yield mode, record | {"run_s": round(run_s, 6), "best_s": round(best_s, 6)}


def inputs(batch: int, seq: int, hidden: int) -> tuple[jax.Array, jax.Array]:
    """(x [seq, batch, hidden], start [seq, batch]): random inputs, episodes of ~100 steps (so
    that resets are exercised)."""
    key_x, key_start = jax.random.split(jax.random.key(0))
    x = jax.random.normal(key_x, (seq, batch, hidden))
    start = jax.random.bernoulli(key_start, 0.01, (seq, batch)).at[0].set(True)
    return x, start


def modes_of(model: MemoryModel) -> list[str]:
    """The modes `model` has: all three for a memoroid, no parallel one without a sequence path."""
    if not model.is_parallel:
        return ["sequential"]
    return list(MODES) if isinstance(model, Memoroid) else ["parallel", "sequential"]


def main() -> None:
    args = parse_args()
    x, start = inputs(args.batch, args.seq, args.hidden)
    for name in args.models:
        model = MEMORY_MODELS[name](hidden_size=args.hidden)
        for mode, timing in bench(model, modes_of(model), x, start, args.repeats):
            record = {"model": name, "mode": mode, "batch": args.batch, "seq": args.seq}
            record |= {"hidden": args.hidden, "device": jax.devices()[0].device_kind}
            print(json.dumps(record | timing), flush=True)


if __name__ == "__main__":
    main()
