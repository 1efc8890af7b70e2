"""Error feedback keeps exactly what was not delivered, including the rounding of value coding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fleetlearn.codec import decode, encode
from fleetlearn.compress import ErrorFeedback, make_compressor

# Compressors whose sent entries are 0 or a rounding of the entry: the invariant is exact.
ROUNDING = [
    ("topk", {"keep_ratio": 0.3, "value_type": kind, "int8_block": block})
    for kind, block in [("fp32", 0), ("fp16", 0), ("bf16", 0), ("int8", 0), ("int8", 4)]
] + [
    ("randomk", {"keep_ratio": 0.5, "value_type": "fp16"}),
    ("threshold", {"threshold": 1.0, "value_type": "int8", "int8_block": 3}),
    ("fp16", {}),
    ("bf16", {}),
    ("none", {"value_type": "int8"}),
]
OTHERS = [("sign", {}), ("scaled_sign", {}), ("qsgd", {"levels": 3, "bucket": 5}), ("dither", {"levels": 5})]

# Finite gradients whose sums with a few residuals stay finite (a non-finite a is refused before compression).
any_float = st.floats(width=32, min_value=-(2.0**120), max_value=2.0**120)
gradients = st.integers(1, 120).flatmap(
    lambda d: st.lists(arrays(np.float32, d, elements=any_float), min_size=1, max_size=4)
)


def wire_decoded(message: object) -> torch.Tensor:
    return decode(encode(message)).to_dense()  # type: ignore[arg-type]


def raw_bits(x: torch.Tensor) -> torch.Tensor:
    return x.view(torch.int32)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ROUNDING), gradients)
def test_a_equals_decoded_plus_residual_exactly(case: tuple[str, dict], steps: list[np.ndarray]) -> None:
    name, params = case
    compressor = make_compressor(name, **params)
    memory = ErrorFeedback()
    for g in steps:
        a = memory.compensate(torch.from_numpy(g))
        a_before = a.clone()
        message = compressor.compress(a)
        memory.update(a, message)
        decoded = wire_decoded(message)
        assert torch.equal(raw_bits(a), raw_bits(a_before))  # update leaves a alone
        assert torch.equal(raw_bits(memory.residual), raw_bits(a - decoded))
        assert torch.equal(decoded + memory.residual, a)  # exact; only the sign of a zero may differ


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(OTHERS), gradients)
def test_residual_is_a_minus_wire_decoded_for_sign_and_quantisers(case: tuple[str, dict], steps: list) -> None:
    name, params = case
    compressor = make_compressor(name, **params)
    memory = ErrorFeedback()
    for g in steps:
        a = memory.compensate(torch.from_numpy(g).clamp(-1e18, 1e18))
        message = compressor.compress(a)
        memory.update(a, message)
        assert torch.equal(raw_bits(memory.residual), raw_bits(a - wire_decoded(message)))


def test_the_residual_keeps_value_rounding_error() -> None:
    """fp16 values: the sent entries leave their rounding error in the residual, not zero."""
    torch.manual_seed(0)
    memory = ErrorFeedback()
    g = torch.randn(1000)
    message = memory.step(g, make_compressor("topk", k=100, value_type="fp16").compress)
    kept = memory.residual[message.indices]
    assert bool((kept != 0).any())
    assert bool((kept.abs() <= g[message.indices].abs() * 2**-11).all())
    assert torch.equal(memory.residual[message.indices], g[message.indices] - wire_decoded(message)[message.indices])


def test_error_feedback_delivers_everything_over_time() -> None:
    """Σ sent + residual = Σ g: nothing is lost, only delayed."""
    torch.manual_seed(1)
    memory = ErrorFeedback()
    compressor = make_compressor("topk", keep_ratio=0.05, value_type="int8", int8_block=16)
    total_g = torch.zeros(2000, dtype=torch.float64)
    total_sent = torch.zeros(2000, dtype=torch.float64)
    for _ in range(50):
        g = torch.randn(2000)
        total_g += g.double()
        total_sent += wire_decoded(memory.step(g, compressor.compress)).double()
    assert torch.allclose(total_sent + memory.residual.double(), total_g, atol=1e-4)


def test_shape_mismatch_and_reset() -> None:
    memory = ErrorFeedback()
    memory.step(torch.randn(10), make_compressor("topk", k=2).compress)
    with pytest.raises(ValueError, match="memory holds"):
        memory.compensate(torch.randn(11))
    memory.reset()
    assert torch.equal(memory.compensate(torch.ones(11)), torch.ones(11))
