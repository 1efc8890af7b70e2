"""Aggregation rules: server side (mean, majority vote, federated vote) and gossip mixing, by name."""

from __future__ import annotations

from .base import AGGREGATORS, Aggregator, Contribution
from .gossip import RULES, ConsensusRule
from .mean import MeanAggregator
from .vote import FederatedVote, MajorityVote

__all__ = ["AGGREGATORS", "RULES", "Aggregator", "ConsensusRule", "Contribution", "FederatedVote", "MajorityVote",
           "MeanAggregator"]
