"""Memory models on one resettable-scan interface (see `base.py` for shapes and semantics).

Every model maps x float[T, *batch, d_in] -> y float[T, *batch, hidden_size]:

    model = MEMORY_MODELS["lru"](hidden_size=128)
    carry = model.initialize_carry(batch_shape)
    params = model.init(key, carry, (x, start))
    carry, y = model.apply(params, carry, (x, start))                  # sequence (training)
    carry, y_t = model.apply(params, carry, (x_t, start_t), method="step")  # one step (acting)

| name               | update                                | sequence path    | carry           |
|--------------------|---------------------------------------|------------------|-----------------|
| gru                | flax GRUCell; gates read h_{t-1}      | lax.scan         | h f32[n]        |
| mingru             | h = (1-z) h + z g(h~); z, h~ from x   | log-space monoid | h f32[n]        |
| lru                | h = lam h + gamma B u; Re(C h) + D u  | diagonal monoid  | h c64[n]        |
| rtu                | h = lam h + gamma (W1 + i W2) x; tanh | diagonal monoid  | h c64[n/2]      |
| nonlinear_rtu      | as rtu, tanh inside the recurrence    | lax.scan         | h c64[n/2]      |
| linear_attention   | S += phi(k) v^T, z += phi(k)          | chunked monoid   | S, z f32[H,d,*] |
| gated_delta        | S = a S (I - b k k^T) + b v k^T       | chunked monoid   | S f32[H,d,d]    |
| linear_ttt         | W -= eta grad 1/2 ||W k - v||^2       | chunked monoid   | W-W0 f32[H,d,d] |
| transformer        | softmax over the episode so far       | blocked mask     | L cached steps  |
| windowed_attention | softmax over the last L steps         | blocked mask     | L cached steps  |
| belief_filter      | h = lam h + B x; |lam| = 1 allowed    | diagonal monoid  | h c64[n]        |
| none               | MLP of the current input              | no recurrence    | dummy f32[0]    |

n = hidden_size, lam = complex eigenvalues |lam| <= 1, H heads of size d = n / H, L = max_length.
A monoid's sequence path is the resettable associative scan (base.py), per step or, for the
d x d states, per chunk of steps (chunked.py); on CPU it runs in cache-sized time blocks with a
linear scan of the carries instead (`Memoroid`). Every sequence path except those of gru and
nonlinear_rtu is parallel and must match `sequential`, a lax.scan of `step` that every model
also has (scripts/bench_memory.py times both).
"""

import difflib

from baselines.memory.base import Memoroid, MemoryModel, resettable, resettable_scan
from baselines.memory.belief_filter import BeliefFilter
from baselines.memory.gated_delta import GatedDeltaNet
from baselines.memory.gru import GRU
from baselines.memory.linear_attention import LinearAttention
from baselines.memory.linear_ttt import LinearTTT
from baselines.memory.lru import LRU
from baselines.memory.memoryless import Memoryless
from baselines.memory.mingru import MinGRU
from baselines.memory.rtu import RTU, NonlinearRTU
from baselines.memory.transformer import Transformer, WindowedAttention


class _Registry(dict):
    """A name -> model class table whose missing names raise a KeyError listing the valid ones."""

    def __missing__(self, name: str):
        close = difflib.get_close_matches(str(name), list(self), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown memory model {name!r}.{hint} Valid names: {', '.join(self)}")


MEMORY_MODELS: dict[str, type[MemoryModel]] = _Registry(
    gru=GRU,
    mingru=MinGRU,
    lru=LRU,
    rtu=RTU,
    nonlinear_rtu=NonlinearRTU,
    linear_attention=LinearAttention,
    gated_delta=GatedDeltaNet,
    linear_ttt=LinearTTT,
    transformer=Transformer,
    windowed_attention=WindowedAttention,
    belief_filter=BeliefFilter,
    none=Memoryless,
)

__all__ = ["MEMORY_MODELS", "Memoroid", "MemoryModel", "resettable", "resettable_scan"]
