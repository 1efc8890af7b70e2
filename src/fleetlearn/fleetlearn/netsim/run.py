"""One netsim run: make the network, start the nodes in it, follow rounds and the link schedule, clean up.

Teardown happens on every way out (the end, an error, Ctrl-C, SIGTERM, SIGHUP): nodes are
asked to finish, then the run's namespaces are deleted. Results are written after
the network is gone: ``finish_run`` (metrics.csv, plots, summary.json) and the
netsim figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Config, robot_names
from ..fleet.build import partitions
from ..fleet.progress import Progress
from ..metrics_files import metrics_path
from ..report import finish_run
from ..run import prepare_run_dir
from ..stopping import stop_on_signals
from .figures import write_netsim_figures
from .host import NetsimError, check_host, signals_held
from .linklog import LinkLog
from .network import EmulatedNetwork
from .nodes import NodeProcess, node_env, start_node, stop_nodes
from .plan import COORDINATOR, Link, Schedule, apply_change, plan_network
from .tail import JsonlTail

POLL_S = 0.05           # how often the run reads the nodes' metrics (schedule by round, progress)
ROBOT_EXIT_S = 30.0     # robots stop on the coordinator's "finished"; after this they are stopped
STOP_GRACE_S = 10.0


def run_netsim(config: Config, run_dir: Path | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the fleet on emulated links; the summary of ``finish_run`` plus ``netsim`` (also written to files)."""
    plan = plan_network(config)
    check_host(needs_iptables=plan.uses_loss or Schedule(config.network.schedule).uses_loss())
    run_dir = prepare_run_dir(config, run_dir).resolve()
    say(f"run directory: {run_dir}")
    partitions(config)  # make the data once, before any node starts
    log = LinkLog(run_dir)
    outcome: dict[str, Any] = {"reason": "interrupted"}
    nodes: list[NodeProcess] = []
    network = EmulatedNetwork(plan)
    try:
        with stop_on_signals(), network:
            say(f"network: namespaces {network.prefix}-*, " + ", ".join(
                f"{node} {address}" for node, address in plan.addresses.items()))
            log.write("start", prefix=network.prefix, addresses=plan.addresses, burst_bytes=plan.burst_bytes,
                      deadline_s=config.round.deadline_s, comm_time_s=config.link.comm_time_s)
            for robot, link in plan.links.items():
                log.link(robot, link, "start", 0)
            try:
                outcome = _run_nodes(config, run_dir, network, log, nodes, say)
            except NetsimError as exc:  # a link change failed mid-run: the run so far still gets its figures
                outcome = {"reason": f"network error: {exc}"}
                say(f"network error: {exc}; stopping the nodes, keeping what was recorded")
            finally:
                with signals_held():  # one hold over both: no Ctrl-C between the nodes and the network
                    stop_nodes(nodes, STOP_GRACE_S)
                    network.teardown()
    except KeyboardInterrupt:
        say("interrupted: nodes stopped, network removed; keeping what was recorded")
    if network.made:
        say(f"could not remove namespaces {network.made}: delete them with `ip netns del NAME`")
    log.write("end", **outcome, exit_codes={n.name: n.proc.returncode for n in nodes},
              leftover_namespaces=network.made)
    summary = finish_run(run_dir)
    summary["netsim"] = write_netsim_figures(run_dir)
    summary.update(outcome)
    return summary


def _run_nodes(config: Config, run_dir: Path, network: EmulatedNetwork, log: LinkLog, nodes: list[NodeProcess],
               say: Callable[[str], None]) -> dict[str, Any]:
    """Start every node, follow the run until the coordinator exits; ``nodes`` is filled as they start."""
    plan = network.plan
    env = node_env(list(plan.addresses.values()), config.run.torch_threads)
    config_path = run_dir / "config.yaml"
    for node in plan.addresses:
        nodes.append(start_node(node, network.namespace(node), config_path, run_dir, env))
    links: dict[str, Link] = dict(plan.links)
    progress = Progress(config.run.rounds, say, shaped_bps=lambda robot: links[robot].rate_bps)
    schedule = Schedule(config.network.schedule)
    coordinator = JsonlTail(metrics_path(run_dir, COORDINATOR))
    robots = [JsonlTail(metrics_path(run_dir, name)) for name in robot_names(config.robots.count)]
    started = time.monotonic()
    rounds_done = 0

    def follow() -> None:
        nonlocal rounds_done
        for tail in robots:
            for row in tail.read():
                progress.on_robot(row)
        for row in coordinator.read():
            if row.get("event") == "round":
                rounds_done = max(rounds_done, row["round"])
            progress.on_hub(row)
        for index, change in schedule.due(rounds_done, time.monotonic() - started):
            links[change.robot] = apply_change(links[change.robot], change)
            network.shape(change.robot, links[change.robot])
            log.link(change.robot, links[change.robot], f"schedule[{index}]", rounds_done)
            say(f"  link change (schedule[{index}], after round {rounds_done}): {change.robot} now "
                f"{links[change.robot].rate_bps / 1e6:g} Mbit/s, loss {links[change.robot].loss:g}")

    while nodes[0].running:
        follow()
        time.sleep(POLL_S)
    follow()
    deadline = time.monotonic() + ROBOT_EXIT_S
    while time.monotonic() < deadline and any(n.running for n in nodes[1:]):
        time.sleep(0.1)
    return {"reason": "done" if nodes[0].proc.returncode == 0 else "coordinator failed"}

