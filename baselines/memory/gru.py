"""GRU (flax's GRUCell), run sequentially: its gates read h_{t-1}, so the update is not associative.

h float32[*batch, hidden] starts at 0; y_t = h_t.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, MemoryModel


class GRU(MemoryModel):
    def setup(self) -> None:
        self.gru = nn.GRUCell(features=self.hidden_size)

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        return jnp.zeros((*batch_shape, self.hidden_size))

    def cell(self, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        return self.gru(carry, x)
