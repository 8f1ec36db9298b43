"""Diagonal complex linear recurrences h_t = a_t * h_{t-1} + b_t, shared by LRU, RTU and the
belief filter.

Elements are (a, b), both complex64[..., n]; (a_i, b_i) o (a_j, b_j) = (a_j a_i, a_j b_i + b_j).
The eigenvalues are lambda = exp(-exp(nu) + i exp(theta_log)), so |lambda| = exp(-exp(nu)) <= 1
for any real nu (docs/models.md §4); it reaches 1 in float32 only as nu -> -inf.
"""

import math
from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from baselines.memory.base import Carry, Element, Memoroid

Initializer = Callable[..., jax.Array]


def nu_init(r_min: float, r_max: float) -> Initializer:
    """nu such that |lambda| is area-uniform on the ring r_min <= |lambda| <= r_max (r_max = 1
    allowed: docs/models.md §10)."""

    def init(key: jax.Array, shape: Sequence[int], dtype=jnp.float32) -> jax.Array:
        u = jax.random.uniform(key, shape, dtype, minval=jnp.finfo(dtype).tiny)
        return jnp.log(-0.5 * jnp.log(u * (r_max**2 - r_min**2) + r_min**2))

    return init


def theta_log_init(max_phase: float) -> Initializer:
    """theta_log such that the phase exp(theta_log) is uniform on (0, max_phase)."""

    def init(key: jax.Array, shape: Sequence[int], dtype=jnp.float32) -> jax.Array:
        return jnp.log(max_phase * jax.random.uniform(key, shape, dtype, jnp.finfo(dtype).tiny))

    return init


def eigenvalues(nu: jax.Array, theta_log: jax.Array) -> jax.Array:
    """lambda = exp(-exp(nu) + i exp(theta_log)), complex64[n]."""
    return jnp.exp(-jnp.exp(nu) + 1j * jnp.exp(theta_log))


def decay_element(nu: jax.Array, theta_log: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The element (a, b) for inputs b [N, *batch, n]: a = lambda, shaped [N, 1, ..., n] (see
    `Memoroid`: a does not vary over the batch, so it is not copied across it)."""
    lam = eigenvalues(nu, theta_log)
    if b.ndim == 1:  # one step of one sequence (e.g. under vmap)
        return lam, b
    return jnp.broadcast_to(lam, (b.shape[0], *(1,) * (b.ndim - 2), lam.shape[-1])), b


class DiagonalRecurrence(Memoroid):
    """A memoroid with a diagonal complex state h complex64[*batch, n] starting at 0.

    Subclasses create the parameters `nu` and `theta_log` (via `ring_parameters`) and give
    `num_states`, `element` and `readout`.
    """

    r_min: float = 0.0
    r_max: float = 1.0
    max_phase: float = 2 * math.pi

    @nn.nowrap
    def num_states(self) -> int:
        raise NotImplementedError

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        return jnp.zeros((*batch_shape, self.num_states()), jnp.complex64)

    @nn.nowrap
    def ring_parameters(self) -> tuple[jax.Array, jax.Array]:
        """Create (nu, theta_log), float32[n]; call from `setup`."""
        n = self.num_states()
        nu = self.param("nu", nu_init(self.r_min, self.r_max), (n,))
        return nu, self.param("theta_log", theta_log_init(self.max_phase), (n,))

    @staticmethod
    def combine(left: Element, right: Element) -> Element:
        (a_left, b_left), (a_right, b_right) = left, right
        return a_right * a_left, a_right * b_left + b_right

    @staticmethod
    def absorb(carry: Carry, element: Element) -> Carry:
        a, b = element
        return a * carry + b
