"""signSGD with majority vote (Bernstein et al. 2019) and with federated voting (Park, Poor, Lee 2024).

Robots send the sign of their gradient (1 bit per entry); the coordinator steps −lr·vote, a
plain SGD step, so the downlink is the vote's signs times lr: exact, no error feedback on the coordinator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import GRADIENT, Algorithm, Option, Problem, no_params, register
from .shared import SIGN_TIES, SIGNUM_MOMENTUM

if TYPE_CHECKING:
    from ..config import Config

VOTE_WARMUP = Option("vote_warmup_rounds", int, 100, "signSGD-FV: rounds of plain majority vote before weighting",
                     valid=lambda v: v >= 0, problem="must be >= 0")
VOTE_FORGETTING = Option("vote_forgetting", float, 1.0, "signSGD-FV: forgetting factor of the agreement counters",
                         valid=lambda v: 0 < v <= 1, problem="must be in (0, 1]")
VOTE_PER_COORDINATE = Option("vote_per_coordinate", bool, False,
                             "signSGD-FV: per-coordinate weights instead of one per robot")


def plain_sgd_step(config: Config) -> Problem | None:
    """The global step is −lr·vote, one bit per entry on the downlink. A stateful or decaying optimiser on
    the coordinator (the detector's recipe is AdamW) makes that step dense-valued, and the 1-bit downlink
    would re-compress it through a second error feedback: the loss that broke compressed gradients.
    Signum's momentum lives on the robots (algorithm.signum_momentum)."""
    o = config.optimizer
    for name, value, wanted in (("name", o.name, "sgd"), ("momentum", o.momentum, 0.0),
                                ("weight_decay", o.weight_decay, 0.0)):
        if value != wanted:
            return (f"optimizer.{name}", f"{config.algorithm.name} steps x - lr * vote on the coordinator: set it "
                    f"to {wanted} (a stateful optimiser makes the 1-bit step lossy)", value)
    return None


register(Algorithm(
    name="signsgd_mv", mode="ps", summary="gradient signs, 1 bit per entry; the coordinator steps -lr * majority vote",
    compressor="sign", options=(SIGN_TIES, SIGNUM_MOMENTUM), compressor_params=lambda a, layout: {"ties": a.sign_ties},
    updates=(GRADIENT,), aggregator="majority_vote", downlink="scaled_sign", downlink_params=no_params,
    downlink_error_feedback=False, check=plain_sgd_step))

register(Algorithm(
    name="signsgd_fv", mode="ps",
    summary="gradient signs; the coordinator steps -lr * a vote weighted by each robot's learnt agreement",
    compressor="sign", options=(SIGN_TIES, SIGNUM_MOMENTUM, VOTE_WARMUP, VOTE_FORGETTING, VOTE_PER_COORDINATE),
    compressor_params=lambda a, layout: {"ties": a.sign_ties}, updates=(GRADIENT,), aggregator="federated_vote",
    aggregator_params=lambda a: {"warmup_rounds": a.vote_warmup_rounds, "forgetting": a.vote_forgetting,
                                 "per_coordinate": a.vote_per_coordinate},
    downlink="scaled_sign", downlink_params=no_params, downlink_error_feedback=False, check=plain_sgd_step))
