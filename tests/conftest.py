"""Test-session settings, applied before jax is imported: test workers (pytest -n) share an
accelerator, if there is one, without preallocating its memory; every program of the session
(subprocesses included) compiles without LLVM optimisation and with XLA:CPU's older fusion
emitters unless XLA_FLAGS says otherwise; and the session's workers and the subprocesses they start
share one compilation cache, made for the session and removed after it (a program compiled by one,
such as a tiny sweep's, loads in the others). The tests are compile-bound and most programs run
briefly; `tests.compiling.jit(fun, level=1)` optimises the few that run for seconds (training
loops)."""

import os
import shutil
import subprocess
import sys
import tempfile

# XLA:CPU's older (non-MLIR) fusion emitters compile the tests' programs faster (measured with
# pytest --durations), with the same results up to float rounding. An XLA that lacks the flag
# would abort on it, so the first process of the session checks that it is known.
LEGACY_EMITTERS = "--xla_cpu_use_fusion_emitters=false"


def xla_knows(flag: str) -> bool:
    probe = "import jax; jax.devices()"
    env = {**os.environ, "XLA_FLAGS": flag, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True)
    return done.returncode == 0


os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    fast = ["--xla_backend_optimization_level=0"]
    if "xla_cpu_use_fusion_emitters" not in os.environ.get("XLA_FLAGS", ""):
        fast += [LEGACY_EMITTERS] if xla_knows(LEGACY_EMITTERS) else []
    os.environ["XLA_FLAGS"] = " ".join([os.environ.get("XLA_FLAGS", ""), *fast]).strip()

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
