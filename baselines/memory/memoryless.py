"""No memory: a two-layer MLP on the current input, the baseline for measuring memory bias.

The carry is a dummy float32[*batch, 0] so the model fits the same interface.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, MemoryModel, check_inputs


class Memoryless(MemoryModel):
    is_parallel = True

    def setup(self) -> None:
        self.mlp = nn.Sequential([nn.Dense(self.hidden_size), nn.relu, nn.Dense(self.hidden_size)])

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        return jnp.zeros((*batch_shape, 0))

    def cell(self, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        return carry, self.mlp(x)

    def __call__(
        self, carry: Carry, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[Carry, jax.Array]:
        x, start = inputs
        check_inputs(carry, x, start, has_time=True)
        return carry, self.mlp(x)
