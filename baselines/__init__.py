"""Reference agents for popgym-arcade-twins: memory models, networks and RL baselines."""
