"""The ``fleetlearn netsim`` sub-command: ``add_parser`` registers it on the CLI's sub-parsers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import load_config

DESCRIPTION = """Run a fleet on emulated links (needs root): one network namespace per node on a bridge,
each robot's uplink shaped with tc (network.rate_bps, network.robots) with optional random loss
(iptables), changed over time by network.schedule. Everything made is removed at the end, on errors
and on Ctrl-C/SIGTERM. Writes netsim.jsonl and netsim_*.png next to the usual run results."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``netsim CONFIG [--set a.b=v] [--run-dir D]``."""
    parser = subparsers.add_parser("netsim", help="a fleet on shaped links in network namespaces (root)",
                                   description=DESCRIPTION)
    parser.add_argument("config")
    parser.add_argument("--run-dir", help="where results go (default run.output_dir/<name>-<time>)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override a config field (repeatable), e.g. --set network.rate_bps=2e6")
    parser.set_defaults(func=cmd_netsim)
    return parser


def cmd_netsim(args: argparse.Namespace) -> int:
    from ..report import print_summary
    from .host import NetsimError
    from .run import run_netsim

    config = load_config(args.config, args.set)
    try:
        summary = run_netsim(config, Path(args.run_dir) if args.run_dir else None, say=_say)
    except NetsimError as exc:
        print(f"fleetlearn netsim: {exc}", file=sys.stderr)
        return 1
    print_summary(summary)
    for robot, figures in summary["netsim"]["robots"].items():
        ratio = figures["median_measured_over_shaped"]
        if ratio is not None:
            print(f"{robot}: measured/shaped rate {ratio:.2f} (median of {figures['settled_rounds']} settled rounds)")
    rounds = summary["netsim"]["rounds"]
    print(f"rounds meeting the {rounds['deadline_s']:g} s deadline with every robot: "
          f"{rounds['met_deadline_with_every_robot']}/{rounds['count']}; figures: netsim_*.png")
    if summary["reason"] == "interrupted":
        return 130
    return 0 if summary["reason"] == "done" else 1


def _say(line: str) -> None:
    print(line, flush=True)
