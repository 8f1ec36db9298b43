"""Test-session settings, applied before jax is imported: test workers (pytest -n) share an
accelerator, if there is one, without preallocating its memory, and every program of the session
(subprocesses included) compiles without LLVM optimisation unless XLA_FLAGS says otherwise. The
tests are compile-bound and most programs run briefly; `tests.compiling.jit(fun, level=2)`
optimises the few that run for seconds (training loops)."""

import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0"
    ).strip()
