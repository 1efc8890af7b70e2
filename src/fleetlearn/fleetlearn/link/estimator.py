"""Uplink budget from measured transfers.

A transfer of n bytes takes about ``latency + 8n / rate`` seconds. Small samples
(status, link reports) measure the latency; large ones the rate, after taking the
latency out. Dividing bytes by time alone would make small updates look like a
slow link, shrink the budget and spiral down; the two-term model does not.

A drop in rate is believed at once (updates sized for the old rate would miss
deadlines); a rise is smoothed. The round's byte budget is what fits in the granted
communication time:
``(comm_time - latency) x min(measured rate, configured cap) / 8``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ..transport import Delivery

RATE_SAMPLE_MIN_BYTES = 16_384  # below this a transfer says more about latency than rate


@dataclass
class LinkFigures:
    """What a robot reports in its LinkReport and Metrics."""

    throughput_bps: float        # smoothed measured rate (NaN before the first measurement)
    last_throughput_bps: float   # rate of the last large transfer alone
    latency_s: float
    loss_rate: float             # fraction of recent transfers not acknowledged in time
    cap_bps: float               # configured cap (inf: none)
    budget_bytes: int


class LinkEstimator:
    """Smoothed uplink rate and latency from delivery feedback; the per-round byte budget."""

    def __init__(self, cap_bps: float | None = None, comm_time_s: float = 1.0, initial_bps: float = 1e6,
                 smoothing: float = 0.5, window: int = 32) -> None:
        if comm_time_s <= 0:
            raise ValueError(f"comm_time_s must be > 0, got {comm_time_s}")
        self.cap_bps = math.inf if cap_bps is None else float(cap_bps)
        self.comm_time_s = comm_time_s
        self.initial_bps = initial_bps
        self.smoothing = smoothing
        self.rate_bps = math.nan
        self.last_rate_bps = math.nan
        self._latencies: deque[float] = deque(maxlen=window)
        self._acked: deque[bool] = deque(maxlen=window)

    @property
    def latency_s(self) -> float:
        return min(self._latencies) if self._latencies else 0.0

    def observe(self, delivery: Delivery) -> None:
        """Feed the delivery feedback of any sample this robot published."""
        if delivery.readers == 0:
            return  # nobody was listening: nothing was measured
        self._acked.append(delivery.acked)
        if not delivery.acked:
            return
        if delivery.nbytes < RATE_SAMPLE_MIN_BYTES:
            self._latencies.append(delivery.seconds)
            return
        # take the latency out, but never more than 90 % of the time: one noisy latency sample
        # must not inflate the rate by more than 10x
        transfer_s = max(delivery.seconds - self.latency_s, 0.1 * delivery.seconds, 1e-9)
        self.last_rate_bps = 8.0 * delivery.nbytes / transfer_s
        if math.isnan(self.rate_bps) or self.last_rate_bps < 0.7 * self.rate_bps:
            self.rate_bps = self.last_rate_bps  # a link that got slower is believed at once: deadlines are at stake
        else:
            self.rate_bps = self.smoothing * self.last_rate_bps + (1 - self.smoothing) * self.rate_bps

    def usable_bps(self) -> float:
        """The rate the budget is based on: measured (or the prior), never above the cap."""
        measured = self.initial_bps if math.isnan(self.rate_bps) else self.rate_bps
        return min(measured, self.cap_bps)

    def budget_bytes(self, comm_time_s: float | None = None) -> int:
        """Bytes that fit in the communication time of a round."""
        comm = self.comm_time_s if comm_time_s is None else comm_time_s
        return max(0, int((comm - self.latency_s) * self.usable_bps() / 8.0))

    def figures(self, comm_time_s: float | None = None) -> LinkFigures:
        loss = 1.0 - sum(self._acked) / len(self._acked) if self._acked else 0.0
        return LinkFigures(self.rate_bps, self.last_rate_bps, self.latency_s, loss,
                           self.cap_bps, self.budget_bytes(comm_time_s))
