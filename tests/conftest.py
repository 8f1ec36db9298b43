"""Test-session settings, applied before jax is imported: test workers (pytest -n) share an
accelerator, if there is one, without preallocating its memory."""

import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
