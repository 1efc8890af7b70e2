"""One robot on its own machine (a real robot, a Gazebo robot or a container) in the namespace robot_id.

    ros2 launch fleetlearn_ros robot.launch.py robot_id:=robot_1 data_path:=/data params_file:=/etc/fleet.yaml

The coordinator runs elsewhere (`ros2 run fleetlearn_ros coordinator_node` or fleet.launch.py);
mode:=gossip starts a gossip peer instead. The robot trains on its share of the data under
data_path. For other machines to see it, set discovery_range:=SUBNET (or a DDS config for the
robot's network interface) and the same domain_id everywhere. The launch ends when the robot exits.
"""

from fleetlearn_ros.launch_description import describe
from fleetlearn_ros.launch_plan import ROBOT_ARGUMENTS, robot_plan


def generate_launch_description():
    return describe(ROBOT_ARGUMENTS, robot_plan, "fleet_params.yaml")
