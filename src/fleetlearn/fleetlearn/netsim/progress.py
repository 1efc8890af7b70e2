"""A line per coordinator round: loss, participants, round time, and each robot's shaped vs measured rate."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .plan import Link


class NetsimProgress:
    def __init__(self, rounds: int, links: dict[str, Link], say: Callable[[str], None]) -> None:
        self.rounds = rounds
        self.links = links  # the same dict the run updates on every link change
        self.say = say
        self.robot_rows: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()

    def on_robot(self, row: dict[str, Any]) -> None:
        if row.get("event") == "round":
            self.robot_rows[row["node"]] = row

    def on_coordinator(self, row: dict[str, Any]) -> None:
        if row.get("event") == "eval" and row.get("accuracy") is not None:
            self.say(f"  eval after round {row['round']}: accuracy {row['accuracy']:.3f}")
        elif row.get("event") == "eval" and row.get("map50") is not None:
            self.say(f"  eval after round {row['round']}: mAP@0.5 {row['map50']:.3f}")
        if row.get("event") != "round":
            return
        robots = " | ".join(self._robot(name) for name in sorted(self.links))
        self.say(f"round {row['round']:4d}/{self.rounds} | loss {row['loss']:7.4f} | robots {row['participants']} | "
                 f"{row['round_time_s']:5.2f} s | {robots} | {time.monotonic() - self.started:5.0f} s")

    def _robot(self, name: str) -> str:
        shaped = self.links[name].rate_bps / 1e6
        row = self.robot_rows.get(name)
        if row is None:
            return f"{name} {shaped:g} Mbit/s"
        measured = "?" if row["throughput_bps"] is None else f"{row['throughput_bps'] / 1e6:.2f}"
        return f"{name} {shaped:g}/{measured} Mbit/s K={row['k']} {row['bytes_sent'] / 1e3:.0f}kB"
