"""The tests' jit with a chosen LLVM optimisation level (tests/conftest.py makes -O0 the session's
default). -O0 compiles faster than -O2 and runs slower, so it suits the programs that run
briefly; loops that run for seconds take -O1 or -O2."""

import jax


def jit(fun, level: int = 0, **kwargs):
    """jax.jit with LLVM at -O`level` (the same HLO; only the CPU code generation differs)."""
    return jax.jit(fun, compiler_options={"xla_backend_optimization_level": level}, **kwargs)
