"""A gossip fleet: peers robot_0 .. robot_{N-1}, each in its namespace, mixing with their neighbours.

    ros2 launch fleetlearn_ros gossip.launch.py num_robots:=4 topology:=ring algorithm:=choco keep_ratio:=0.05

No coordinator. Every peer reads params_file (a `/**` block for the fleet, `/robot_N/**` blocks per
robot); the arguments override it where given (topology:=edges edges:="[[robot_0, robot_1], ...]").
Each peer exits after run.rounds rounds; the launch ends with the last one.
`ros2 launch fleetlearn_ros gossip.launch.py -s` lists the arguments.
"""

from fleetlearn_ros.launch_description import describe
from fleetlearn_ros.launch_plan import GOSSIP_ARGUMENTS, gossip_plan


def generate_launch_description():
    return describe(GOSSIP_ARGUMENTS, gossip_plan, "gossip_params.yaml")
