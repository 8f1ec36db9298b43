"""Test-session settings, applied before jax is imported.

- The tests compile hundreds of small programs and run each briefly, so LLVM's optimisation level
  is lowered: compiles take about 40% less time; results do not depend on it.
- Test workers (pytest -n) share an accelerator, if there is one, without preallocating it.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
