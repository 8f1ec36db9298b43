"""XLA:CPU settings the training programs need, applied on import, before JAX starts a backend.

XLA:CPU's concurrency-optimized scheduler deadlocks some training programs (reproduced with
jax 0.10.2: PQN + GRU vmapped over two seeds compiles, then every thread idles and the result
never arrives); turning the scheduler off fixes it. Env rollouts alone never hung and run
faster with the scheduler on, so only `baselines` sets this. Setting the flag after a backend has
started changes nothing, so `baselines/__init__.py` imports this module first.
"""

import os

SCHEDULER_FIX = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def apply() -> None:
    """Add `SCHEDULER_FIX` to XLA_FLAGS unless the flag is already set there (either way)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_enable_concurrency_optimized_scheduler" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {SCHEDULER_FIX}".strip()


apply()
