"""A parameter-server fleet: the coordinator and robots robot_0 .. robot_{N-1}, each in its namespace.

    ros2 launch fleetlearn_ros fleet.launch.py num_robots:=3 algorithm:=topk keep_ratio:=0.01 cap_bps:=1e6

Every node reads params_file (a `/**` block for the fleet, `/robot_N/**` blocks per robot); the
arguments override it where given. The run ends when the coordinator exits: the launch shuts down.
`ros2 launch fleetlearn_ros fleet.launch.py -s` lists the arguments.
"""

from fleetlearn_ros.launch_description import describe
from fleetlearn_ros.launch_plan import FLEET_ARGUMENTS, fleet_plan


def generate_launch_description():
    return describe(FLEET_ARGUMENTS, fleet_plan, "fleet_params.yaml")
