"""Every compressor: registry, wire faithfulness, determinism, and the statistics it promises."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fleetlearn.codec import decode, encode
from fleetlearn.compress import FlatLayout, available_compressors, make_compressor
from fleetlearn.compress.topk import layer_quotas
from fleetlearn.compress.topk_fast import topk_indices

ALL = {
    "none": {},
    "fp16": {},
    "bf16": {},
    "topk": {"keep_ratio": 0.1},
    "randomk": {"keep_ratio": 0.1},
    "threshold": {"threshold": 1.0},
    "sign": {},
    "scaled_sign": {},
    "qsgd": {"levels": 4, "bucket": 16},
    "dither": {"levels": 8},
}
vectors = st.integers(1, 200).flatmap(
    lambda d: arrays(np.float32, d, elements=st.floats(-(2.0**99), 2.0**99, width=32)).map(torch.from_numpy)
)


def test_registry_holds_every_method_and_rejects_unknown_names() -> None:
    assert set(available_compressors()) == set(ALL)
    with pytest.raises(ValueError, match="unknown compressor"):
        make_compressor("zip")
    assert make_compressor("fp16").name == "fp16"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(ALL)), vectors)
def test_what_is_sent_is_exactly_what_is_decoded(name: str, x: torch.Tensor) -> None:
    message = make_compressor(name, **ALL[name]).compress(x)
    assert message.codec == name and message.d == len(x)
    back = decode(encode(message))
    assert torch.equal(back.to_dense().view(torch.int32), message.to_dense().view(torch.int32))


@pytest.mark.parametrize("name", sorted(ALL))
def test_same_seed_same_bytes(name: str) -> None:
    x = torch.randn(500)
    first = [encode(make_compressor(name, seed=3, **ALL[name]).compress(x)) for _ in range(2)]
    assert first[0] == first[1]
    if name in ("randomk", "qsgd", "dither"):
        assert encode(make_compressor(name, seed=4, **ALL[name]).compress(x)) != first[0]


@pytest.mark.parametrize("value_type", ["fp32", "fp16", "bf16", "int8"])
def test_topk_keeps_the_largest_entries_with_keep_ratio_meaning_kept(value_type: str) -> None:
    x = torch.randn(1000)
    message = make_compressor("topk", keep_ratio=0.05, value_type=value_type, int8_block=16).compress(x)
    assert message.k == 50
    assert torch.equal(message.indices, topk_indices(x, 50))
    sent = message.to_dense()[message.indices]
    assert torch.allclose(sent, x[message.indices], rtol=0.02, atol=float(x.abs().max()) / 100)
    assert make_compressor("topk", keep_ratio=0.05).compress(x, k=7).k == 7


def test_layer_scope_splits_k_in_proportion_and_small_tensors_go_first() -> None:
    layout = FlatLayout([("conv", (10, 10)), ("bias", (10,)), ("fc", (300,))], small_numel=50)
    x = torch.randn(layout.d)
    message = make_compressor("topk", k=40, scope="layer", layout=layout).compress(x)
    per_layer = [int(((message.indices >= s) & (message.indices < e)).sum()) for s, e in layout.bounds()]
    assert per_layer == layer_quotas(40, [100, 10, 300], [False, False, False]) == [10, 1, 29]
    for (start, end), quota in zip(layout.bounds(), per_layer, strict=True):
        inside = message.indices[(message.indices >= start) & (message.indices < end)]
        assert torch.equal(inside - start, topk_indices(x[start:end], quota))
    dense_small = make_compressor("topk", k=40, scope="layer", layout=layout, small_dense=True).compress(x)
    assert set(range(100, 110)) <= set(dense_small.indices.tolist()) and dense_small.k == 40
    global_small = make_compressor("topk", k=15, layout=layout, small_dense=True).compress(x)
    assert set(range(100, 110)) <= set(global_small.indices.tolist()) and global_small.k == 15


@given(st.integers(0, 500), st.lists(st.integers(1, 100), min_size=1, max_size=8), st.data())
def test_layer_quotas_sum_to_k_and_fit_each_layer(k: int, sizes: list[int], data: st.DataObject) -> None:
    dense = data.draw(st.lists(st.booleans(), min_size=len(sizes), max_size=len(sizes)))
    k = min(k, sum(sizes))
    quotas = layer_quotas(k, sizes, dense)
    assert sum(quotas) == k
    assert all(0 <= q <= s for q, s in zip(quotas, sizes, strict=True))


def test_randomk_is_uniform() -> None:
    compressor = make_compressor("randomk", k=5, seed=1)
    counts = torch.zeros(20)
    trials = 4000
    for _ in range(trials):
        message = compressor.compress(torch.randn(20))
        assert len(set(message.indices.tolist())) == 5
        counts[message.indices] += 1
    expected = trials * 5 / 20
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < 50  # 19 degrees of freedom: p < 1e-4 for a fair sampler
    large = make_compressor("randomk", k=100, seed=2).compress(torch.randn(100_000))
    assert large.k == 100 and bool((large.indices[1:] > large.indices[:-1]).all())


def test_threshold_keeps_exactly_the_entries_at_or_above_it() -> None:
    x = torch.tensor([0.5, -1.0, 1.5, -0.2, 1.0])
    assert make_compressor("threshold", threshold=1.0).compress(x).indices.tolist() == [1, 2, 4]


def test_sign_tie_rule_and_scale() -> None:
    x = torch.tensor([2.0, -0.0, 0.0, -3.0, 1.0])
    plain = make_compressor("sign").compress(x).to_dense()
    assert plain.tolist() == [1.0, 1.0, 1.0, -1.0, 1.0]
    scaled = make_compressor("scaled_sign").compress(x).to_dense()
    assert scaled.tolist() == pytest.approx([1.2, 1.2, 1.2, -1.2, 1.2])


def test_random_sign_ties_are_fair_coins_and_leave_nonzeros_alone() -> None:
    x = torch.zeros(20_000)
    x[:100] = torch.linspace(-1, 1, 100)
    x[50] = -0.5  # linspace puts no exact zero here; keep the first 100 nonzero
    compressor = make_compressor("sign", ties="random", seed=4)
    signs = compressor.compress(x).to_dense()
    assert torch.equal(signs[:100], torch.where(x[:100] < 0, -1.0, 1.0))
    assert abs(float(signs[100:].mean())) < 0.03  # 19,900 coins: 4 standard deviations ≈ 0.028
    again = make_compressor("sign", ties="random", seed=4).compress(x).to_dense()
    assert torch.equal(signs, again)  # seeded: reproducible runs
    assert len(encode(compressor.compress(x))) == len(encode(make_compressor("sign").compress(x)))


def decoded_mean_and_error(name: str, x: torch.Tensor, draws: int, **params: object) -> tuple[torch.Tensor, float]:
    compressor = make_compressor(name, seed=11, **params)
    samples = torch.stack([compressor.compress(x).to_dense() for _ in range(draws)])
    return samples.mean(0), float(((samples - x) ** 2).sum(1).mean())


@pytest.mark.parametrize(("name", "params"), [("qsgd", {"levels": 2, "bucket": 8}), ("dither", {"levels": 3})])
def test_quantisers_are_unbiased(name: str, params: dict) -> None:
    torch.manual_seed(5)
    x = torch.randn(32) * torch.linspace(0.1, 3, 32)
    draws = 6000
    mean, _ = decoded_mean_and_error(name, x, draws, **params)
    # Each level is a Bernoulli step of ‖v‖/s: its standard deviation is at most ‖v‖/(2s).
    bound = float(x.norm()) / (2 * params["levels"])
    assert float((mean - x).abs().max()) < 5 * bound / math.sqrt(draws)


def test_qsgd_variance_bound_and_levels() -> None:
    torch.manual_seed(6)
    x = torch.randn(64)
    levels, bucket = 4, 16
    _, error = decoded_mean_and_error("qsgd", x, 400, levels=levels, bucket=bucket)
    bound = min(bucket / levels**2, math.sqrt(bucket) / levels) * float((x**2).sum())
    assert error <= 1.1 * bound
    message = make_compressor("qsgd", levels=levels, bucket=bucket).compress(x)
    assert int(message.levels.min()) >= 1 and int(message.levels.max()) <= levels


def test_the_unbiasedness_check_catches_a_biased_compressor() -> None:
    """Same statistic as above on Random-K (E[C(x)] = (K/d)·x): it must fail, so the check can fail."""
    torch.manual_seed(5)
    x = torch.randn(32) * torch.linspace(0.1, 3, 32)
    draws = 6000
    mean, _ = decoded_mean_and_error("randomk", x, draws, keep_ratio=0.5)
    assert float((mean - x).abs().max()) > 5 * float(x.norm()) / 4 / math.sqrt(draws)


def test_dither_linf_norm_keeps_more_levels_than_l2() -> None:
    x = torch.randn(10_000)
    l2 = make_compressor("dither", levels=4, seed=1).compress(x)
    linf = make_compressor("dither", levels=4, norm="linf", seed=1).compress(x)
    assert l2.k < linf.k
    assert len(encode(l2)) < len(encode(linf))


def test_rescaled_dither_projects_each_bucket_and_always_contracts() -> None:
    """x̂ += Q(x − x̂) converges only if Q contracts; ℓ2 dither on a bucket of 512 has variance ω ≫ 1."""
    torch.manual_seed(7)
    x = torch.randn(4096) * torch.rand(4096)
    plain = make_compressor("dither", levels=2, bucket=512, seed=3)
    rescaled = make_compressor("dither", levels=2, bucket=512, rescale=True, seed=3)
    assert not plain.biased and rescaled.biased
    for _ in range(20):
        p, q = plain.compress(x), rescaled.compress(x)
        assert torch.equal(p.indices, q.indices) and torch.equal(p.levels, q.levels)  # same draw, new scales
        assert len(encode(q)) == len(encode(p))
        decoded = q.to_dense()
        assert float((x - decoded).square().sum()) < float(x.square().sum())
        # the residual of a projection is orthogonal to what was sent, bucket by bucket
        dots = ((x - decoded) * decoded).view(-1, 512).sum(1)
        assert float(dots.abs().max()) < 1e-4 * float(decoded.square().sum())
    _, plain_error = decoded_mean_and_error("dither", x, 50, levels=2, bucket=512)
    assert plain_error > float(x.square().sum())  # the unbiased one expands: what the rescale is for
