"""The tests' jit with a chosen LLVM optimisation level (tests/conftest.py makes -O0 the session's
default). Measured on a 100-update PPO probe run (CPU seconds, compile + run): -O0 5.8 + 12.0,
-O1 8.0 + 3.9, -O2 8.4 + 2.8. So -O0 suits programs that run briefly, and loops that run for
seconds take -O1 or -O2."""

import jax


def jit(fun, level: int = 0, **kwargs):
    """jax.jit with LLVM at -O`level` (the same HLO; only the CPU code generation differs)."""
    return jax.jit(fun, compiler_options={"xla_backend_optimization_level": level}, **kwargs)
