"""The memory-model interface and the resettable associative scan (the memoroid core).

Shapes used throughout:
- sequence path: x float[T, *batch, d_in], start bool[T, *batch] -> y float[T, *batch, hidden_size];
- single-step path: x float[*batch, d_in], start bool[*batch] -> y float[*batch, hidden_size];
- a carry is a pytree whose leaves have shape [*batch, ...].

`start[t]` marks the first step of an episode: the carry is replaced by `initialize_carry` before
step t is consumed, so nothing flows across an episode boundary, forwards or backwards.
"""

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import flax.linen as nn
import jax
import jax.numpy as jnp

Carry = Any
Element = Any
Combine = Callable[[Element, Element], Element]


def select(flag: jax.Array, on_true: Any, on_false: Any) -> Any:
    """Leafwise `where(flag, on_true, on_false)`, with bool[*lead] `flag` broadcast over the
    trailing axes of each leaf (leaves have shape [*lead, ...])."""

    def pick(a: jax.Array, b: jax.Array) -> jax.Array:
        mask = flag.reshape(flag.shape + (1,) * (max(jnp.ndim(a), jnp.ndim(b)) - flag.ndim))
        return jnp.where(mask, a, b)

    return jax.tree.map(pick, on_true, on_false)


def resettable(combine: Combine) -> Combine:
    """Lift an associative `combine` to pairs (element, has_start).

    `has_start` says that a start lies in the span the element summarizes. A start on the right
    forgets everything on the left: (e_l, c_l) o (e_r, c_r) = (c_r ? e_r : e_l o e_r, c_l | c_r).
    This is associative whenever `combine` is (checked by test), so resets cost one select per
    combine and no model handles them itself.
    """

    def combined(left: tuple[Element, jax.Array], right: tuple[Element, jax.Array]):
        (e_left, c_left), (e_right, c_right) = left, right
        return select(c_right, e_right, combine(e_left, e_right)), c_left | c_right

    return combined


def resettable_scan(
    combine: Combine, elements: Element, start: jax.Array
) -> tuple[Element, jax.Array]:
    """Inclusive prefix scan over axis 0 that restarts at every `start`.

    Returns (prefix, has_start): prefix[t] summarizes steps (last start <= t)..t, or 0..t when
    has_start[t] is False, in which case the incoming carry must still be folded in on the left.
    """
    return jax.lax.associative_scan(resettable(combine), (elements, start))


def carries_after(
    absorb: Callable[[Carry, Element], Carry],
    prefix: Element,
    has_start: jax.Array,
    carry: Carry,
    initial: Carry,
) -> Carry:
    """The carry after each prefix of `resettable_scan`, leaves [N, *batch, ...]: the prefix
    absorbed into the incoming carry, or into the initial one where a start lies in it."""
    n = len(has_start)
    return absorb(select(has_start, _repeat(initial, n), _repeat(carry, n)), prefix)


PREFIX_SCANS = ("auto", "associative", "linear")


def prefix_carries(
    model: "Memoroid", elements: Element, start: jax.Array, carry: Carry, initial: Carry
) -> Carry:
    """The carry after each step of `elements` (leaves [N, ...]) from the incoming `carry`,
    restarting from `initial` at every `start`, leaves [N, *batch, ...].

    Two algorithms with equal results (tested): "associative" (`resettable_scan`, depth log N)
    and "linear" (a lax.scan of `absorb`, depth N but one pass over memory); see
    `Memoroid.prefix_scan` for which runs where.
    """
    if not model.linear_prefix():
        full = lambda leaf: jnp.broadcast_to(leaf, start.shape + leaf.shape[start.ndim :])
        prefix, has_start = resettable_scan(model.combine, jax.tree.map(full, elements), start)
        return carries_after(model.absorb, prefix, has_start, carry, initial)

    def absorb_one(carry: Carry, inputs: tuple[Element, jax.Array]) -> tuple[Carry, Carry]:
        element, is_start = inputs
        carry = model.absorb(select(is_start, initial, carry), element)
        return carry, carry

    return jax.lax.scan(absorb_one, carry, (elements, start))[1]


def _repeat(tree: Any, length: int) -> Any:
    return jax.tree.map(lambda a: jnp.broadcast_to(a, (length, *a.shape)), tree)


def check_inputs(carry: Carry, x: jax.Array, start: jax.Array, *, has_time: bool) -> None:
    """Raise a ValueError naming the expected shapes when x, start and carry do not fit."""
    expected = (
        "x float[T, *batch, d_in], start bool[T, *batch]"
        if has_time
        else "x float[*batch, d_in], start bool[*batch]"
    )
    x_shape, start_shape, start_dtype = jnp.shape(x), jnp.shape(start), jnp.result_type(start)
    if len(x_shape) < 1 + has_time or start_shape != x_shape[:-1] or start_dtype != jnp.bool_:
        raise ValueError(
            f"expected {expected}; got x {jnp.result_type(x)}{list(x_shape)}, "
            f"start {start_dtype}{list(start_shape)}"
        )
    batch_shape = start_shape[1:] if has_time else start_shape
    for leaf in jax.tree.leaves(carry):
        if leaf.shape[: len(batch_shape)] != batch_shape:
            raise ValueError(
                f"carry leaves must have shape [*batch, ...] with batch {list(batch_shape)} "
                f"(from start); got a leaf of shape {list(leaf.shape)}"
            )


class MemoryModel(nn.Module):
    """A recurrent memory: d_in -> hidden_size, resettable by `start` flags.

    Subclasses give `initialize_carry` and `cell` (one step, no reset). The sequence path
    `__call__` defaults to `sequential`, a lax.scan of `step`; parallel models override it and
    must agree with `sequential` (tested).
    """

    hidden_size: int
    is_parallel: ClassVar[bool] = False

    @classmethod
    def episode_options(cls, max_steps: int) -> dict[str, Any]:
        """The options under which the model holds whole episodes of up to `max_steps` steps;
        none for a memory that no length bounds."""
        return {}

    @nn.nowrap
    def initialize_carry(self, batch_shape: Sequence[int]) -> Carry:
        """The carry at the start of an episode, leaves of shape [*batch_shape, ...]."""
        raise NotImplementedError

    def cell(self, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        """One step from a carry that is already reset: x [*batch, d_in] -> y [*batch, hidden]."""
        raise NotImplementedError

    def step(self, carry: Carry, inputs: tuple[jax.Array, jax.Array]) -> tuple[Carry, jax.Array]:
        """Single-step path (acting): inputs = (x [*batch, d_in], start [*batch])."""
        x, start = inputs
        check_inputs(carry, x, start, has_time=False)
        carry = select(start, self.initialize_carry(start.shape), carry)
        return self.cell(carry, x)

    def sequential(
        self, carry: Carry, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[Carry, jax.Array]:
        """Sequence path as a lax.scan of `step`: the reference every parallel path must match."""
        x, start = inputs
        check_inputs(carry, x, start, has_time=True)
        scan = nn.scan(
            lambda module, c, xs: module.step(c, xs),
            variable_broadcast="params",
            split_rngs={"params": False},
        )
        return scan(self, carry, (x, start))

    def __call__(
        self, carry: Carry, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[Carry, jax.Array]:
        """Sequence path (training): inputs = (x [T, *batch, d_in], start [T, *batch])."""
        return self.sequential(carry, inputs)


class Memoroid(MemoryModel):
    """A memory whose update is an associative combine, run as a resettable parallel scan.

    A subclass gives, per step, `features(x)` (projections shared by element and readout),
    `element(features)` (the step as a monoid element), the associative `combine(left, right)`,
    `absorb(carry, element)` (the carry after the steps an element summarizes: the monoid acting
    on carries, absorb(absorb(c, a), b) = absorb(c, combine(a, b))) and `readout(carry,
    features)`. No identity element is needed: the start flag is folded into the combine, and
    the incoming carry enters as the leftmost element through `absorb`. The parallel path keeps
    one carry per step; `chunked.ChunkedMemoroid` keeps one per chunk, for costly elements.
    Element leaves are [N, *batch, ...] with size-1 batch axes allowed where a leaf does not
    vary over them (the linear scan then never copies it across the batch).

    How the sequence path runs (equal results, tested):
    - prefix_scan "associative": `parallel` over the whole sequence, carries from the log-depth
      `resettable_scan`; for accelerators, where its ~2 log T passes over memory run wide.
    - prefix_scan "linear": `parallel` over blocks of `time_block` steps in a lax.scan, each
      block rematerialized in the backward pass; within a block, features, elements and
      readouts are batched over time and the carries accumulate by a lax.scan of `absorb`. For
      XLA:CPU, where whole-sequence passes are memory-bound: a 32-step block's arrays stay in
      cache, which on CPU makes this path faster than the associative one and at least as
      fast as a scan of `step` (measured by scripts/bench_memory.py; figures in the README).
    - "auto" (default): "linear" on CPU, "associative" elsewhere, as `jax.lax.cumsum` chooses.
    """

    is_parallel: ClassVar[bool] = True
    prefix_scan: str = "auto"
    time_block: int = 32

    @nn.nowrap
    def linear_prefix(self) -> bool:
        """Whether carries accumulate by the linear scan (see the class docstring)."""
        if self.prefix_scan not in PREFIX_SCANS:
            raise ValueError(f"prefix_scan must be one of {PREFIX_SCANS}, got {self.prefix_scan!r}")
        if self.time_block < 1:
            raise ValueError(f"time_block must be >= 1, got {self.time_block}")
        auto = jax.default_backend() == "cpu"
        return self.prefix_scan == "linear" or (self.prefix_scan == "auto" and auto)

    def features(self, x: jax.Array) -> Any:
        """Per-step projections shared by `element` and `readout` (default: x itself)."""
        return x

    def element(self, features: Any) -> Element:
        raise NotImplementedError

    @staticmethod
    def combine(left: Element, right: Element) -> Element:
        raise NotImplementedError

    @staticmethod
    def absorb(carry: Carry, element: Element) -> Carry:
        raise NotImplementedError

    def readout(self, carry: Carry, features: Any) -> jax.Array:
        raise NotImplementedError

    def cell(self, carry: Carry, x: jax.Array) -> tuple[Carry, jax.Array]:
        features = self.features(x)
        carry = self.absorb(carry, self.element(features))
        return carry, self.readout(carry, features)

    def parallel(self, carry: Carry, x: jax.Array, start: jax.Array) -> tuple[Carry, jax.Array]:
        """The sequence path over one stretch of time, all steps at once."""
        features = self.features(x)
        initial = self.initialize_carry(start.shape[1:])
        carries = prefix_carries(self, self.element(features), start, carry, initial)
        return jax.tree.map(lambda a: a[-1], carries), self.readout(carries, features)

    def __call__(
        self, carry: Carry, inputs: tuple[jax.Array, jax.Array]
    ) -> tuple[Carry, jax.Array]:
        x, start = inputs
        check_inputs(carry, x, start, has_time=True)
        if not self.linear_prefix() or len(start) <= self.time_block:
            return self.parallel(carry, x, start)
        return in_time_blocks(self, carry, x, start)


def in_time_blocks(
    model: Memoroid, carry: Carry, x: jax.Array, start: jax.Array
) -> tuple[Carry, jax.Array]:
    """`model.parallel` over consecutive blocks of `model.time_block` steps (a lax.scan of
    rematerialized blocks; the remainder runs after it), which equals one call on the whole."""
    size = model.time_block
    whole = len(start) // size * size
    scan = nn.scan(
        nn.remat(lambda module, c, xs: module.parallel(c, *xs)),
        variable_broadcast="params",
        split_rngs={"params": False},
    )
    blocks = lambda a: a[:whole].reshape(whole // size, size, *a.shape[1:])
    carry, y = scan(model, carry, (blocks(x), blocks(start)))
    y = y.reshape(whole, *y.shape[2:])
    if whole == len(start):
        return carry, y
    carry, rest = model.parallel(carry, x[whole:], start[whole:])
    return carry, jnp.concatenate([y, rest])
