"""Reference agents for popgym-arcade-twins: memory models, networks and RL baselines."""

from baselines import xla_flags  # noqa: F401  (sets XLA flags before JAX starts a backend)
