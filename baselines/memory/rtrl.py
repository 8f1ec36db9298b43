"""Exact real-time recurrent learning (RTRL) for the linear and non-linear RTU (docs/models.md §6).

The RTU's recurrence is diagonal: the state of unit j depends on the past only through that
unit's own parameters, so the sensitivities e_p = dh_t/dp are needed only for the parameters p of
the same unit. They take O(n d_in) memory, the size of the parameters, and follow the state online,
with no backprop through time. In complex form (h = c1 + i c2, e_p = dc1/dp + i dc2/dp) the 2 x 2
block A_j = [[g, -phi], [phi, g]] is a multiplication by lambda_j, and one step is

    e_{p,t} = D_t(lambda e_{p,t-1} + I_{p,t}),

where I_{p,t} is the derivative of pre_t = lambda h_{t-1} + gamma (W1 x_t + i W2 x_t) with h_{t-1}
held fixed, and D_t is the identity (linear RTU) or, for the non-linear RTU, the tanh derivative on
each part: D(z) = (1 - c1_t^2) Re z + i (1 - c2_t^2) Im z. With eps = exp(nu), r^2 = exp(-2 eps),
theta = exp(theta_log) and u = W1 x + i W2 x:

    I_nu = -eps lambda h_{t-1} + (eps r^2 / gamma) u,   I_theta_log = i theta lambda h_{t-1},
    I_W1[k, j] = gamma_j x_k,                             I_W2[k, j] = i gamma_j x_k.

At an episode start the state and the sensitivities both restart at 0.

The gradient of a loss L_t at step t is dL_t/dp = dL_t/dc1_t . Re e_{p,t} + dL_t/dc2_t . Im e_{p,t}.
Autodiff of one step gives it: `perturbation` is a complex array whose value is 0 and whose
derivative w.r.t. each parameter is its sensitivity e_{p,t-1}. Added to h_{t-1}, it turns
reverse-mode autodiff of the single step t (h_{t-1} otherwise constant) into the RTRL gradient,
because that step maps the incoming derivative e_{t-1} to D_t(lambda e_{t-1} + I_t) = e_t; every
other parameter (encoder, heads) gets its gradient through step t alone. Without the perturbation
the same step gives TBPTT(1), the gradient through the current step only.

Parameters are the RTU module's: {"nu": [n], "theta_log": [n], "w1": {"kernel": [d_in, n]},
"w2": {"kernel": [d_in, n]}} (kernels are W1^T and W2^T).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from baselines.memory.base import select
from baselines.memory.diagonal import eigenvalues
from baselines.memory.rtu import input_gain


class Sensitivities(NamedTuple):
    """dh_t/dp for each parameter p of a unit, complex64 (real part d c1, imaginary part d c2)."""

    nu: jax.Array  # [*batch, n]
    theta_log: jax.Array  # [*batch, n]
    w1: jax.Array  # [*batch, d_in, n], laid out as the Dense kernel
    w2: jax.Array  # [*batch, d_in, n]


def zeros(params: Any, batch_shape: Sequence[int]) -> Sensitivities:
    """The sensitivities at an episode start: all 0."""
    d_in, n = params["w1"]["kernel"].shape
    unit, weight = (*batch_shape, n), (*batch_shape, d_in, n)
    return Sensitivities(*(jnp.zeros(s, jnp.complex64) for s in (unit, unit, weight, weight)))


def restart(sensitivities: Sensitivities, start: jax.Array) -> Sensitivities:
    """Zero the sensitivities where bool[*batch] `start` marks an episode's first step."""
    return select(start, jax.tree.map(jnp.zeros_like, sensitivities), sensitivities)


def update(
    sensitivities: Sensitivities,
    params: Any,
    x: jax.Array,
    h_prev: jax.Array,
    h: jax.Array,
    nonlinear: bool,
) -> Sensitivities:
    """The sensitivities after a step that read x float32[*batch, d_in] and moved the state from
    h_prev (already restarted where an episode starts) to h, both complex64[*batch, n]."""
    nu, theta_log = params["nu"], params["theta_log"]
    w1, w2 = params["w1"]["kernel"], params["w2"]["kernel"]
    eps, theta = jnp.exp(nu), jnp.exp(theta_log)
    lam, gamma = eigenvalues(nu, theta_log), input_gain(nu)
    u = x @ w1 + 1j * (x @ w2)
    lam_h = lam * h_prev
    weight = gamma * x[..., :, None]  # [*batch, d_in, n]
    new = Sensitivities(
        nu=lam * sensitivities.nu - eps * lam_h + (eps * jnp.exp(-2 * eps) / gamma) * u,
        theta_log=lam * sensitivities.theta_log + 1j * theta * lam_h,
        w1=lam * sensitivities.w1 + weight,
        w2=lam * sensitivities.w2 + 1j * weight,
    )
    if not nonlinear:
        return new
    unit = (1 - h.real**2, 1 - h.imag**2)  # tanh' of each part, [*batch, n]
    weight = tuple(d[..., None, :] for d in unit)
    return Sensitivities(
        _squash(new.nu, *unit),
        _squash(new.theta_log, *unit),
        _squash(new.w1, *weight),
        _squash(new.w2, *weight),
    )


def perturbation(sensitivities: Sensitivities, params: Any) -> jax.Array:
    """complex64[*batch, n] of value 0 whose derivative w.r.t. each RTU parameter is its
    sensitivity; add it to h_{t-1} before step t to get the RTRL gradient by autodiff."""
    moving = jax.tree.map(lambda p: p - jax.lax.stop_gradient(p), params)
    return (
        sensitivities.nu * moving["nu"]
        + sensitivities.theta_log * moving["theta_log"]
        + jnp.einsum("...kn,kn->...n", sensitivities.w1, moving["w1"]["kernel"])
        + jnp.einsum("...kn,kn->...n", sensitivities.w2, moving["w2"]["kernel"])
    )


def _squash(e: jax.Array, d1: jax.Array, d2: jax.Array) -> jax.Array:
    """D(e) = d1 Re e + i d2 Im e: the tanh derivative applied to each part."""
    return d1 * e.real + 1j * (d2 * e.imag)
