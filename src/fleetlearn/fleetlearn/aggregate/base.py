"""Server-side aggregation: many decoded robot updates in, one direction out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from ..codec import Compressed
from ..registry import Registry


@dataclass
class Contribution:
    """One robot's decoded update for a round."""

    robot_id: str
    message: Compressed
    batch_size: int
    loss: float

    def dense(self) -> Tensor:
        return self.message.to_dense()


AGGREGATORS: Registry[type] = Registry("aggregator")


class Aggregator(ABC):
    """Combines the contributions that arrived before the deadline (partial participation)."""

    name: str

    @abstractmethod
    def aggregate(self, contributions: list[Contribution]) -> Tensor:
        """The aggregated update, a dense float32 vector of length d."""

    def metrics(self) -> dict[str, Any]:
        """What the rule learnt, for the coordinator's round row and rqt (none by default)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """What the rule learnt, for a checkpoint (stateless rules: nothing)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: B027 - stateless rules load nothing
        """Continue from a ``state_dict``."""
