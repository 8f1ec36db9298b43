"""Test-session settings, applied before jax is imported: test workers (pytest -n) share an
accelerator, if there is one, without preallocating its memory; every program of the session
(subprocesses included) compiles without LLVM optimisation unless XLA_FLAGS says otherwise; and
the session's workers and the subprocesses they start share one compilation cache, made for the
session and removed after it (a program compiled by one, such as a tiny sweep's, loads in the
others). The tests are compile-bound and most programs run briefly;
`tests.compiling.jit(fun, level=2)` optimises the few that run for seconds (training loops)."""

import os
import shutil
import tempfile

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0"
    ).strip()

# The first process of the session (pytest's, or xdist's controller) makes the cache; the
# workers it spawns inherit the variable.
SESSION_CACHE = None
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    SESSION_CACHE = tempfile.mkdtemp(prefix="pat-test-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = SESSION_CACHE
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")


def pytest_unconfigure(config) -> None:
    if SESSION_CACHE:
        shutil.rmtree(SESSION_CACHE, ignore_errors=True)
