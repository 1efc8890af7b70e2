"""signSGD majority vote and federated voting: decoders, learned trust, and bits on the wire."""

from __future__ import annotations

import math

import torch
from fleet_testing import InprocFleet, digits_config

from fleetlearn.aggregate import Contribution, FederatedVote, MajorityVote
from fleetlearn.codec import HEADER_BYTES, decode, encode
from fleetlearn.compress import make_compressor
from fleetlearn.fleet import topics
from fleetlearn.msgs import CompressedUpdate

SIGN = make_compressor("sign")


def contribution(robot_id: str, values: list[float], batch: int = 4) -> Contribution:
    return Contribution(robot_id, SIGN.compress(torch.tensor(values)), batch, 0.0)


def test_majority_vote_on_hand_made_signs_with_the_tie_rule() -> None:
    votes = [contribution("a", [1, -1, 1, -2]), contribution("b", [1, -1, -1, 3]),
             contribution("c", [-1, 1, -1, 0]), contribution("d", [2, -1, 1, -5])]
    # column sums: +2, -2, 0 (tie -> +1), 0 (tie: sign(0) = +1 from robot c, then -1 +1 +1 -1)
    assert MajorityVote().aggregate(votes).tolist() == [1.0, -1.0, 1.0, 1.0]


def test_federated_vote_uses_log_odds_weights() -> None:
    fv = FederatedVote(warmup_rounds=0)
    fv.rounds, fv.total = 10, {"a": 10.0, "b": 10.0, "c": 10.0}
    fv.agree = {"a": 9.0, "b": 4.0, "c": 4.0}  # p = 0.9, 0.4, 0.4
    w_a, w_b = math.log(0.9 / 0.1), math.log(0.4 / 0.6)
    assert fv.weight("a") == w_a and fv.weight("b") == w_b
    votes = [contribution("a", [1.0, -1.0]), contribution("b", [-1.0, 1.0]), contribution("c", [-1.0, 1.0])]
    # majority says (-1, +1); a's weight 2.20 beats b and c, whose negative weights even push towards a
    assert fv.aggregate(votes).tolist() == [1.0, -1.0]
    assert MajorityVote().aggregate(votes).tolist() == [-1.0, 1.0]


def test_weights_are_clipped_and_newcomers_vote_plainly() -> None:
    fv = FederatedVote(warmup_rounds=0, clip=10.0)
    fv.rounds, fv.total, fv.agree = 5, {"a": 5.0}, {"a": 5.0}
    assert fv.weight("a") == 10.0
    assert fv.weight("newcomer") == 1.0


def simulate(aggregator, rounds: int = 300, d: int = 2000, seed: int = 0) -> tuple[float, dict[str, float]]:
    """12 robots with batch 4 and 3 with batch 304 see sign(g* + noise/sqrt(batch))."""
    gen = torch.Generator().manual_seed(seed)
    robots = {f"small_{i}": 4 for i in range(12)} | {f"large_{i}": 304 for i in range(3)}
    agreement = []
    for _ in range(rounds):
        truth = torch.randn(d, generator=gen) * 0.1
        votes = [contribution(name, (truth + torch.randn(d, generator=gen) / math.sqrt(b)).tolist(), b)
                 for name, b in robots.items()]
        decoded = aggregator.aggregate(votes)
        agreement.append(float((decoded == torch.where(truth < 0, -1.0, 1.0)).float().mean()))
    return sum(agreement[-50:]) / 50, getattr(aggregator, "weights", dict)()


def test_federated_vote_learns_to_trust_the_large_batch_robots() -> None:
    fv_accuracy, weights = simulate(FederatedVote(warmup_rounds=20))
    mv_accuracy, _ = simulate(MajorityVote())
    large = [w for name, w in weights.items() if name.startswith("large")]
    small = [w for name, w in weights.items() if name.startswith("small")]
    assert min(large) > 3 * max(small) > 0
    assert fv_accuracy > mv_accuracy + 0.05, (fv_accuracy, mv_accuracy)


def test_per_coordinate_weights_also_favour_the_large_batch_robots() -> None:
    _, weights = simulate(FederatedVote(warmup_rounds=20, per_coordinate=True), rounds=120, d=500)
    assert min(w for n, w in weights.items() if n.startswith("large")) > max(
        w for n, w in weights.items() if n.startswith("small"))


def test_sign_updates_cost_exactly_one_bit_per_entry_plus_the_header(tmp_path) -> None:
    config = digits_config(algorithm={"name": "signsgd_fv", "vote_warmup_rounds": 2},
                           optimizer={"name": "sgd", "lr": 0.002, "momentum": 0.0, "weight_decay": 0.0},
                           run={"rounds": 6}, robots={"overrides": {"robot_2": {"batch_size": 128}}})
    fleet = InprocFleet(config, tmp_path)
    d = fleet.coordinator.d
    updates: list[CompressedUpdate] = []
    for name in fleet.robots:
        fleet.coordinator.bus.subscribe(topics.update_topic(name), CompressedUpdate, updates.append)
    assert fleet.run()
    assert len(updates) == 18
    for update in updates:
        assert len(update.payload) == HEADER_BYTES + math.ceil(d / 8)
        assert update.codec == "sign" and update.k == d
    assert {u.batch_size for u in updates if u.robot_id == "robot_2"} == {128}
    assert {u.batch_size for u in updates if u.robot_id == "robot_0"} == {32}
    rounds = [r for r in fleet.coordinator.recorder.rows if r["event"] == "round"]
    assert set(rounds[-1]["vote_weights"]) == set(fleet.robots)  # who the vote trusts, in the metrics
    assert rounds[0]["vote_weights"] == dict.fromkeys(fleet.robots, 1.0)  # a plain vote while warming up
    step = decode(encode(fleet.coordinator.server.compressor.compress(torch.randn(d))))
    assert step.codec == "scaled_sign" and len(encode(step)) == HEADER_BYTES + 4 + math.ceil(d / 8)
