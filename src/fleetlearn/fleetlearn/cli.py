"""The ``fleetlearn`` command: the demo, runs from a config, single nodes, and link checks.

    fleetlearn demo                        coordinator + 3 robots over DDS on loopback (the README's main job)
    fleetlearn run CONFIG [--set a.b=v]    a fleet from a YAML config (inproc: one process; dds/ros: one per node)
                     [--run-dir R --resume]  ... or continue run R from its last checkpoint
    fleetlearn coordinator CONFIG          one coordinator node (for multi-machine runs; --resume as above)
    fleetlearn robot CONFIG --name robot_0 one robot node
    fleetlearn peer CONFIG --name robot_0  one gossip peer (mode: gossip)
    fleetlearn gossip-gamma [CONFIG]       pick CHOCO's γ for the config's graph and compressor by simulation
    fleetlearn netsim CONFIG               a fleet in network namespaces on tc-shaped links (root)
    fleetlearn report RUN_DIR              merge a run's metrics into metrics.csv, plots and summary.json;
                                           exit 1 unless every node finished and the fleet did every round
    fleetlearn config                      print the default config (every field, documented in config.py)
    fleetlearn ping listen|talk            check that two processes or machines exchange fleetlearn messages
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .config import Config, ConfigError, apply_overrides, config_from_dict, config_yaml, load_config
from .netsim.command import add_parser as add_netsim_parser
from .stopping import stop_on_signals
from .transport import TRANSPORTS, make_bus

# The README's main job: K fills each robot's byte budget (1 Mbit/s x 1 s of uplink per round).
DEMO_OVERRIDES = [
    "run.name=demo", "run.rounds=160", "run.eval_every=40", "transport.name=dds", "robots.count=3",
    "robots.batch_size=16", "algorithm.name=topk", "algorithm.error_feedback=true", "algorithm.keep_ratio=0.01",
    "algorithm.local_steps=4", "algorithm.k_controller=fixed", "link.cap_bps=1000000", "link.comm_time_s=0.2",
]


def _config(args: argparse.Namespace) -> Config:
    overrides = args.set + (["run.resume=true"] if getattr(args, "resume", False) else [])
    if getattr(args, "config", None):
        return load_config(args.config, overrides)
    return config_from_dict(apply_overrides({}, overrides))


def cmd_run(args: argparse.Namespace) -> int:
    from .report import print_summary
    from .run import run_fleet

    config = _config(args)
    summary = run_fleet(config, Path(args.run_dir) if args.run_dir else None)
    print_summary(summary)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .report import print_summary
    from .run import run_fleet

    config = config_from_dict(apply_overrides({}, DEMO_OVERRIDES + list(args.set)))
    model = config.task.model or "fcos_tiny"
    cap = config.link.cap_bps
    uplink = "uplink not capped" if cap is None or cap == float("inf") else f"uplink capped at {cap / 1e6:g} Mbit/s"
    a = config.algorithm
    print(f"fleetlearn demo: a coordinator and {config.robots.count} robot processes train {model} "
          f"over {config.transport.name} (loopback); each robot takes {a.local_steps} optimiser steps a round and "
          f"sends {a.name} (at most {a.keep_ratio:.0%} of the entries) of its model change with error feedback, "
          f"{uplink} per robot", flush=True)
    print_summary(run_fleet(config, Path(args.run_dir) if args.run_dir else None))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Merge a run directory's metrics/*.jsonl (e.g. gathered from several machines) into CSV and plots;
    exit 1 unless the run is complete (``report.check_run``): the check after a ros2 launch or compose run."""
    from .report import check_run, finish_run, print_summary

    run_dir = Path(args.run_dir)
    if not (run_dir / "metrics").is_dir():
        raise FileNotFoundError(f"{run_dir}/metrics does not exist: not a fleetlearn run directory")
    print_summary(finish_run(run_dir))
    problems = check_run(run_dir)
    for problem in problems:
        print(f"fleetlearn report: incomplete run: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_node(args: argparse.Namespace) -> int:
    from .fleet.processes import run_node

    config = _config(args)
    run_dir = Path(args.run_dir) if args.run_dir else None
    return run_node(config, args.command, run_dir, getattr(args, "name", None))


def cmd_config(args: argparse.Namespace) -> int:
    print(config_yaml(_config(args)), end="")
    return 0


def cmd_gamma(args: argparse.Namespace) -> int:
    """Simulate compressed gossip on the config's graph and compressor; print each γ's consensus distance."""
    import json

    from .aggregate import RULES
    from .aggregate.gamma import tune_gamma
    from .aggregate.topology import Topology
    from .config import robot_names
    from .fleet.uplink import make_uplink_compressor

    config = _config(args)
    entry = config.algorithm.entry
    if entry.mode != "gossip" or not RULES.get(entry.rule).tunable:
        raise ConfigError(f"algorithm.name: gossip-gamma tunes a gossip method's constant consensus step; "
                          f"{entry.name}'s is not one (an adaptive step is swept on real gossip, as "
                          "benchmarks/gossip.py does)")
    graph = Topology(config.gossip, robot_names(config.robots.count)).at(0)
    compressor = make_uplink_compressor(config.algorithm, config.run.seed)
    best, scores = tune_gamma(graph, compressor.compress, d=args.dim, rounds=args.rounds, seed=config.run.seed)
    print(json.dumps({"topology": config.gossip.topology, "robots": config.robots.count,
                      "compressor": compressor.name, "keep_ratio": config.algorithm.keep_ratio,
                      "consensus_distance_after": {str(g): v for g, v in scores.items()}, "best_gamma": best},
                     indent=2))
    return 0


def cmd_ping(args: argparse.Namespace) -> int:
    from . import ping

    if args.transport == "inproc":
        raise ConfigError("--transport: inproc cannot cross processes; use dds or ros")
    bus = make_bus(args.transport, f"ping_{args.role}", domain_id=args.domain_id)
    try:
        if args.role == "listen":
            return 0 if ping.listen(bus, args.count, args.timeout) == args.count else 1
        deliveries = ping.talk(bus, args.count, args.bytes, args.timeout)
        return 0 if len(deliveries) == args.count and all(d.acked for d in deliveries) else 1
    finally:
        bus.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetlearn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_set(p: argparse.ArgumentParser) -> None:
        p.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                       help="override a config field (repeatable), e.g. --set run.rounds=20")

    demo = sub.add_parser("demo", help="the built-in demo: 3 robots + coordinator over DDS, synthetic VOC")
    demo.add_argument("--run-dir", help="where results go (default runs/demo-<time>)")
    with_set(demo)
    demo.set_defaults(func=cmd_demo)

    resume_help = "continue the run in --run-dir from its coordinator's last intact checkpoint"
    run = sub.add_parser("run", help="run a fleet from a YAML config")
    run.add_argument("config")
    run.add_argument("--run-dir")
    run.add_argument("--resume", action="store_true", help=resume_help)
    with_set(run)
    run.set_defaults(func=cmd_run)

    for role in ("coordinator", "robot", "peer"):
        node = sub.add_parser(role, help=f"run one {role} node (multi-machine use; peer: gossip mode)")
        node.add_argument("config")
        node.add_argument("--run-dir")
        if role != "coordinator":
            node.add_argument("--name", required=True, help="robot id, e.g. robot_0")
        if role == "coordinator":
            node.add_argument("--resume", action="store_true", help=resume_help)
        elif role == "robot":
            node.add_argument("--resume", action="store_true",
                              help="a restarted robot: append to the run's metrics and, with robots.persist_memory, "
                                   "take back its memory")
        with_set(node)
        node.set_defaults(func=cmd_node)

    report = sub.add_parser("report", help="write metrics.csv, plots and summary.json of a run directory; "
                                           "exit 1 unless every node finished and the fleet did every round")
    report.add_argument("run_dir")
    report.set_defaults(func=cmd_report)

    add_netsim_parser(sub)

    show = sub.add_parser("config", help="print a config with every field (the defaults, or CONFIG + --set)")
    show.add_argument("config", nargs="?")
    with_set(show)
    show.set_defaults(func=cmd_config)

    gamma = sub.add_parser("gossip-gamma", help="pick CHOCO's consensus step by simulated gossip")
    gamma.add_argument("config", nargs="?")
    gamma.add_argument("--rounds", type=int, default=100)
    gamma.add_argument("--dim", type=int, default=20_000, help="vector length of the simulation")
    with_set(gamma)
    gamma.set_defaults(func=cmd_gamma)

    ping = sub.add_parser("ping", help="check that two processes or machines exchange fleetlearn messages")
    ping.add_argument("role", choices=["listen", "talk"])
    ping.add_argument("--transport", choices=TRANSPORTS.names(), default="dds")
    ping.add_argument("--domain-id", type=int, default=int(os.environ.get("ROS_DOMAIN_ID", "0")))
    ping.add_argument("--count", type=int, default=3)
    ping.add_argument("--bytes", type=int, default=1_000_000, help="payload bytes per update")
    ping.add_argument("--timeout", type=float, default=30.0)
    ping.set_defaults(func=cmd_ping)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with stop_on_signals():
            return args.func(args)
    except ConfigError as exc:
        print(f"fleetlearn: config error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"fleetlearn: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
