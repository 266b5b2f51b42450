"""The PRIME surrogate: a score model over one-hot encoded accelerator designs.

A design is a row of 10 parameter indices, encoded as 10 concatenated one-hot blocks
(``SPACE.onehot``: width 77). The model maps one encoded design (and, for the contextual variant,
a workload context vector) to a scalar *score*: higher is better (see ``prime_rs.train.targets``
for the transform between scores and latencies).

Two architectures:

- ``TransformerSurrogate`` (the paper's): each one-hot block is embedded by its own linear map to
  ``d_model`` (so relaxed, soft one-hots work too), a fixed sinusoidal code marks which parameter a
  token is, ``n_layers`` post-LayerNorm transformer encoder layers mix the tokens, the tokens are
  flattened and an MLP head with LeakyReLU(0.1) (or a mixture of such heads) gives the score.
- ``MLPSurrogate``: an MLP on the flat one-hot; about 5x cheaper per step, a useful baseline.

Contextual variant (both): a bias-free linear map of the context vector multiplies the flattened
features element-wise (FiLM without shift), as in the released PRIME code.

Models are equinox pytrees; ``ModelConfig`` is the JSON-serialisable description that rebuilds
the same architecture (it is stored with every checkpoint).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from prime_rs.errors import InvalidArgumentError

__all__ = [
    "MLPSurrogate",
    "ModelConfig",
    "TransformerSurrogate",
    "apply_batch",
    "build_model",
    "dropout_mask",
]

_LEAKY_SLOPE = 0.1


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture of a surrogate; the defaults are the paper's.

    ``block_sizes`` are the one-hot block widths in parameter order (``SPACE.cardinalities``).
    ``context_dim`` = 0 builds the plain model; > 0 the contextual one. ``n_experts`` = 0 uses a
    single MLP head; >= 2 a softmax-gated mixture of that many heads.
    """

    block_sizes: tuple[int, ...]
    kind: Literal["transformer", "mlp"] = "transformer"
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 8
    ffn_dim: int = 256
    dropout: float = 0.1
    head_hidden: tuple[int, ...] = (256, 256, 256)
    n_experts: int = 0
    context_dim: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "block_sizes", tuple(int(b) for b in self.block_sizes))
        object.__setattr__(self, "head_hidden", tuple(int(h) for h in self.head_hidden))
        if not self.block_sizes or min(self.block_sizes) < 1:
            raise InvalidArgumentError(f"block_sizes must be positive, got {self.block_sizes}")
        if self.kind not in ("transformer", "mlp"):
            raise InvalidArgumentError(
                f"model kind must be 'transformer' or 'mlp', got {self.kind!r}"
            )
        for name in ("d_model", "n_heads", "ffn_dim"):
            if getattr(self, name) < 1:
                raise InvalidArgumentError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.n_layers < 0 or self.context_dim < 0 or self.n_experts < 0:
            raise InvalidArgumentError("n_layers, context_dim and n_experts must be >= 0")
        if self.n_experts == 1:
            raise InvalidArgumentError("n_experts must be 0 (no mixture) or >= 2")
        if self.kind == "transformer" and self.d_model % self.n_heads:
            raise InvalidArgumentError(
                f"d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise InvalidArgumentError(f"dropout must be in [0, 1), got {self.dropout}")
        if any(h < 1 for h in self.head_hidden):
            raise InvalidArgumentError(f"head_hidden sizes must be >= 1, got {self.head_hidden}")

    @property
    def input_width(self) -> int:
        return sum(self.block_sizes)

    @property
    def contextual(self) -> bool:
        return self.context_dim > 0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["block_sizes"] = list(self.block_sizes)
        d["head_hidden"] = list(self.head_hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - fields
        if unknown:
            raise InvalidArgumentError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def sinusoidal_positions(n: int, d: int) -> np.ndarray:
    """The transformer's fixed position code (Vaswani et al. 2017), shape (n, d)."""
    pos = np.arange(n, dtype=np.float64)[:, None]
    i = np.arange(d, dtype=np.float64)[None, :]
    angle = pos / np.power(10000.0, (2 * (i // 2)) / d)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle)).astype(np.float32)


def _leaky(x: jax.Array) -> jax.Array:
    return jax.nn.leaky_relu(x, _LEAKY_SLOPE)


# Every layer below works on arrays with any leading batch axes, as plain matmuls/einsums on the
# whole batch: XLA on CPU runs that about 2.5x faster than ``vmap`` over per-sample modules.


def _dense(layer: eqx.nn.Linear, x: jax.Array) -> jax.Array:
    y = x @ layer.weight.T
    return y + layer.bias if layer.bias is not None else y


def _layer_norm(norm: eqx.nn.LayerNorm, x: jax.Array) -> jax.Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + norm.eps) * norm.weight + norm.bias


def _mix32(h: jax.Array) -> jax.Array:
    # "lowbias32" (C. Wellons): a bijection of uint32 with near-ideal avalanche.
    h = (h ^ (h >> 16)) * jnp.uint32(0x7FEB352D)
    h = (h ^ (h >> 15)) * jnp.uint32(0x846CA68B)
    return h ^ (h >> 16)


def dropout_mask(key: jax.Array, shape: Sequence[int], keep: float) -> jax.Array:
    """Independent Bernoulli(``keep``) draws of ``shape``, a pure function of ``key``.

    The bits are a counter-based hash of each element's index under two 32-bit seeds drawn
    from ``key``; XLA fuses the hash into the masked multiply. ``jax.random.bernoulli`` on the
    same shapes does not fuse, and its bits cost about a third of a default training step on
    CPU (docs/performance/training.md). The second seed enters after a first mixing round, so
    the masks of two keys are never shifts of each other. P(keep) is exact to 2**-32.
    """
    n = math.prod(shape)
    if n >= 2**32:
        # The element counter is 32 bits: past that, masks would repeat.
        raise InvalidArgumentError(f"dropout over {n} elements exceeds the 2**32 counter")
    seeds = jax.random.bits(key, (2,), jnp.uint32)
    counter = jax.lax.iota(jnp.uint32, n).reshape(tuple(shape))
    h = _mix32(_mix32(counter * jnp.uint32(0x9E3779B9) + seeds[0]) ^ seeds[1])
    return h < jnp.uint32(min(round(keep * 2.0**32), 2**32 - 1))


def _dropout(x: jax.Array, rate: float, key: jax.Array | None) -> jax.Array:
    if key is None or rate == 0.0:
        return x
    return jnp.where(dropout_mask(key, x.shape, 1.0 - rate), x / (1.0 - rate), 0.0)


class BlockEmbedding(eqx.Module):
    """One linear map per one-hot block, computed as one masked matmul (10 tokens x d)."""

    weight: jax.Array  # (width, d): rows of block k are block k's Linear weight
    bias: jax.Array  # (n_blocks, d)
    block_sizes: tuple[int, ...] = eqx.field(static=True)

    def __init__(self, block_sizes: Sequence[int], d: int, *, key: jax.Array):
        self.block_sizes = tuple(block_sizes)
        keys = jax.random.split(key, 2 * len(self.block_sizes))
        ws, bs = [], []
        for k, size in enumerate(self.block_sizes):
            lim = 1.0 / math.sqrt(size)  # the torch/equinox Linear init per block
            ws.append(jax.random.uniform(keys[2 * k], (size, d), minval=-lim, maxval=lim))
            bs.append(jax.random.uniform(keys[2 * k + 1], (d,), minval=-lim, maxval=lim))
        self.weight = jnp.concatenate(ws, axis=0)
        self.bias = jnp.stack(bs)

    def __call__(self, x: jax.Array) -> jax.Array:
        """(..., width) -> (..., n_blocks, d)."""
        mask = np.zeros((len(self.block_sizes), sum(self.block_sizes)), np.float32)
        start = 0
        for k, size in enumerate(self.block_sizes):
            mask[k, start : start + size] = 1.0
            start += size
        return (x[..., None, :] * mask) @ self.weight + self.bias


class EncoderLayer(eqx.Module):
    """Post-LayerNorm transformer encoder layer with a ReLU FFN, as
    ``torch.nn.TransformerEncoderLayer`` (dropout on attention weights, attention output, FFN
    hidden and FFN output)."""

    qkv: eqx.nn.Linear
    out: eqx.nn.Linear
    norm1: eqx.nn.LayerNorm
    norm2: eqx.nn.LayerNorm
    ff1: eqx.nn.Linear
    ff2: eqx.nn.Linear
    n_heads: int = eqx.field(static=True)
    rate: float = eqx.field(static=True)

    def __init__(self, d: int, n_heads: int, ffn_dim: int, dropout: float, *, key: jax.Array):
        kq, ko, k1, k2 = jax.random.split(key, 4)
        self.qkv = eqx.nn.Linear(d, 3 * d, key=kq)
        self.out = eqx.nn.Linear(d, d, key=ko)
        self.norm1 = eqx.nn.LayerNorm(d)
        self.norm2 = eqx.nn.LayerNorm(d)
        self.ff1 = eqx.nn.Linear(d, ffn_dim, key=k1)
        self.ff2 = eqx.nn.Linear(ffn_dim, d, key=k2)
        self.n_heads = n_heads
        self.rate = dropout

    def __call__(self, h: jax.Array, key: jax.Array | None) -> jax.Array:
        """(..., T, d) -> (..., T, d); ``key`` enables dropout."""
        ka, k1, k2, k3 = (None,) * 4 if key is None else tuple(jax.random.split(key, 4))
        *lead, t, d = h.shape
        q, k, v = jnp.split(_dense(self.qkv, h), 3, axis=-1)
        shape = (*lead, t, self.n_heads, d // self.n_heads)
        q, k, v = q.reshape(shape), k.reshape(shape), v.reshape(shape)
        logits = jnp.einsum("...qhc,...khc->...hqk", q, k) / math.sqrt(d // self.n_heads)
        weights = _dropout(jax.nn.softmax(logits, axis=-1), self.rate, ka)
        a = jnp.einsum("...hqk,...khc->...qhc", weights, v).reshape(h.shape)
        h = _layer_norm(self.norm1, h + _dropout(_dense(self.out, a), self.rate, k1))
        f = _dropout(jax.nn.relu(_dense(self.ff1, h)), self.rate, k2)
        return _layer_norm(self.norm2, h + _dropout(_dense(self.ff2, f), self.rate, k3))


class Head(eqx.Module):
    """MLP head: hidden Linear layers with LeakyReLU(0.1), then a scalar output."""

    layers: tuple[eqx.nn.Linear, ...]

    def __init__(self, width: int, hidden: Sequence[int], *, key: jax.Array):
        sizes = [width, *hidden, 1]
        keys = jax.random.split(key, len(sizes) - 1)
        self.layers = tuple(
            eqx.nn.Linear(a, b, key=k) for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)
        )

    def __call__(self, x: jax.Array) -> jax.Array:
        """(..., width) -> (...)."""
        for layer in self.layers[:-1]:
            x = _leaky(_dense(layer, x))
        return _dense(self.layers[-1], x)[..., 0]


class MixtureHead(eqx.Module):
    """Softmax-gated mixture of MLP heads (the paper's optional mixture-of-experts head)."""

    gate: eqx.nn.Linear
    experts: tuple[Head, ...]

    def __init__(self, width: int, hidden: Sequence[int], n_experts: int, *, key: jax.Array):
        kg, *ke = jax.random.split(key, n_experts + 1)
        self.gate = eqx.nn.Linear(width, n_experts, key=kg)
        self.experts = tuple(Head(width, hidden, key=k) for k in ke)

    def __call__(self, x: jax.Array) -> jax.Array:
        weights = jax.nn.softmax(_dense(self.gate, x), axis=-1)
        outs = jnp.stack([e(x) for e in self.experts], axis=-1)
        return jnp.sum(weights * outs, axis=-1)


def _make_head(config: ModelConfig, width: int, key: jax.Array) -> Head | MixtureHead:
    if config.n_experts >= 2:
        return MixtureHead(width, config.head_hidden, config.n_experts, key=key)
    return Head(width, config.head_hidden, key=key)


def _film(proj: eqx.nn.Linear | None, features: jax.Array, context: jax.Array | None) -> jax.Array:
    if proj is None:
        return features
    if context is None:
        raise InvalidArgumentError("this surrogate is contextual: a context vector is required")
    return features * _dense(proj, context)


class TransformerSurrogate(eqx.Module):
    """Per-parameter embeddings + transformer encoder + MLP head (docs/design.md section 6)."""

    embed: BlockEmbedding
    layers: tuple[EncoderLayer, ...]
    context_proj: eqx.nn.Linear | None
    head: Head | MixtureHead

    def __init__(self, config: ModelConfig, *, key: jax.Array):
        ke, kl, kc, kh = jax.random.split(key, 4)
        n, d = len(config.block_sizes), config.d_model
        self.embed = BlockEmbedding(config.block_sizes, d, key=ke)
        self.layers = tuple(
            EncoderLayer(d, config.n_heads, config.ffn_dim, config.dropout, key=k)
            for k in jax.random.split(kl, config.n_layers)
        )
        self.context_proj = (
            eqx.nn.Linear(config.context_dim, n * d, use_bias=False, key=kc)
            if config.contextual
            else None
        )
        self.head = _make_head(config, n * d, kh)

    def __call__(
        self, x: jax.Array, context: jax.Array | None = None, *, key: jax.Array | None = None
    ) -> jax.Array:
        """Scores of encoded designs ``x`` (..., 77) -> (...); ``key`` enables dropout."""
        h = self.embed(x)
        # The position code is a trace-time constant, not a parameter.
        h = h + sinusoidal_positions(*h.shape[-2:])
        keys = [None] * len(self.layers) if key is None else jax.random.split(key, len(self.layers))
        for layer, k in zip(self.layers, keys, strict=True):
            h = layer(h, k)
        flat = h.reshape(*h.shape[:-2], -1)
        return self.head(_film(self.context_proj, flat, context))


class MLPSurrogate(eqx.Module):
    """An MLP on the flat one-hot (the cheap option); FiLM on its input features if contextual."""

    context_proj: eqx.nn.Linear | None
    head: Head | MixtureHead

    def __init__(self, config: ModelConfig, *, key: jax.Array):
        kc, kh = jax.random.split(key)
        width = config.input_width
        self.context_proj = (
            eqx.nn.Linear(config.context_dim, width, use_bias=False, key=kc)
            if config.contextual
            else None
        )
        self.head = _make_head(config, width, kh)

    def __call__(
        self, x: jax.Array, context: jax.Array | None = None, *, key: jax.Array | None = None
    ) -> jax.Array:
        del key  # no dropout in the MLP surrogate
        return self.head(_film(self.context_proj, x, context))


Surrogate = TransformerSurrogate | MLPSurrogate


def build_model(config: ModelConfig, key: jax.Array) -> Surrogate:
    """A freshly initialised surrogate of ``config`` (deterministic in ``key``)."""
    if config.kind == "mlp":
        return MLPSurrogate(config, key=key)
    return TransformerSurrogate(config, key=key)


def apply_batch(
    model: Surrogate, x: jax.Array, context: jax.Array, key: jax.Array | None = None
) -> jax.Array:
    """Scores of a batch: ``x`` (n, width), ``context`` (n, context_dim) (width 0 if plain).

    With ``key`` the model runs in training mode (dropout).
    """
    ctx = context if context.shape[-1] > 0 else None
    return model(x, ctx, key=key)
