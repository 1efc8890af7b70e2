"""The body every launch file shares: declare its arguments, then start the nodes of its plan.

The launch API is imported when a launch file calls :func:`describe`, so this module imports
where only launch_plan's data is needed (a venv without ``launch``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .launch_plan import PACKAGE, PARAMS_FILE, Argument, NodePlan


def describe(arguments: Sequence[Argument], plan: Callable[[Mapping[str, str]], list[NodePlan]],
             params_file: str) -> Any:
    """A LaunchDescription: ``params_file`` (from the package's config/) and ``arguments`` declared,
    and the nodes ``plan`` makes of their values; a node whose plan ends the launch shuts it down."""
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction, Shutdown
    from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
    from launch_ros.actions import Node
    from launch_ros.substitutions import FindPackageShare

    def start_nodes(context: Any) -> list:
        values = {name: LaunchConfiguration(name).perform(context)
                  for name in [PARAMS_FILE, *(a.name for a in arguments)]}
        return [
            Node(package=PACKAGE, executable=node.executable, name=node.name, namespace=node.namespace,
                 parameters=[values[PARAMS_FILE], node.parameters], additional_env=node.environment,
                 output="screen", emulate_tty=True,
                 on_exit=Shutdown(reason=f"{node.full_name} exited") if node.ends_launch else None)
            for node in plan(values)
        ]

    default_params = PathJoinSubstitution([FindPackageShare(PACKAGE), "config", params_file])
    return LaunchDescription([
        DeclareLaunchArgument(PARAMS_FILE, default_value=default_params, description="parameter file of every node"),
        *(DeclareLaunchArgument(a.name, default_value=a.default, description=a.description,
                                choices=list(a.choices) if a.choices else None) for a in arguments),
        OpaqueFunction(function=start_nodes),
    ])
