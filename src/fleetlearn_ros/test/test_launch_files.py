"""launch_testing: each launch file starts a digits fleet that trains over ROS 2 (`colcon test` on a ROS install).

The installed launch files start the nodes with the smoke parameter file. The run ends by events, not
by its length: the fleet never finishes by itself (ROUNDS), the active test waits until a round is
done and a node reports healthy on /diagnostics, then launch_testing shuts the launch down (SIGINT, as
Ctrl-C), and the post-shutdown test checks that every node stopped cleanly with exit code 0.
robot.launch.py gets a coordinator beside it, as on a real robot whose coordinator runs elsewhere.
"""

import os
import time
import unittest

import pytest

launch_testing = pytest.importorskip("launch_testing", reason="launch_testing comes with a ROS 2 install")

# The fleet must not end before the active test (launch_testing fails a launch that does): hours of rounds
# on any machine, so that only the test's own end stops it.
ROUNDS = "1000000"
CASES = [  # launch file, its arguments, with a coordinator beside it, the Metrics topic and status to wait for
    ("fleet.launch.py", {"num_robots": "2"}, False, ("/coordinator/metrics", "coordinator: robots")),
    ("gossip.launch.py", {"num_robots": "2", "algorithm": "choco", "keep_ratio": "0.1"}, False,
     ("/robot_1/metrics", "robot_1: neighbours")),
    ("robot.launch.py", {"robot_id": "robot_0", "num_robots": "1"}, True, ("/robot_0/metrics", "robot_0: rounds")),
]


@pytest.mark.launch_test
@launch_testing.parametrize("launch_file, arguments, with_coordinator, watch", CASES)
def generate_test_description(launch_file, arguments, with_coordinator, watch):
    import launch_testing.actions
    from ament_index_python.packages import get_package_share_directory
    from launch import LaunchDescription
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    from launch_ros.actions import Node

    share = get_package_share_directory("fleetlearn_ros")
    params_file = os.path.join(share, "config", "fleet_smoke_params.yaml")
    run_name = "launch_test_" + launch_file.split(".")[0]
    given = {**arguments, "params_file": params_file, "rounds": ROUNDS, "run_name": run_name}
    actions = [IncludeLaunchDescription(PythonLaunchDescriptionSource(os.path.join(share, "launch", launch_file)),
                                        launch_arguments=given.items())]
    if with_coordinator:
        actions.append(Node(package="fleetlearn_ros", executable="coordinator_node", name="coordinator",
                            parameters=[params_file, {"robots.count": int(arguments["num_robots"]),
                                                      "run.rounds": int(ROUNDS), "run.name": run_name}],
                            additional_env={"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}, output="screen"))
    return LaunchDescription([*actions, launch_testing.actions.ReadyToTest()])


class TestRun(unittest.TestCase):

    def test_rounds_pass_and_the_node_reports_ok(self, watch):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor

        from fleetlearn_msgs.msg import Metrics

        topic, name = watch
        rounds, statuses = [], []
        context = Context()
        rclpy.init(context=context)
        node = rclpy.create_node("launch_test_watch", context=context)
        node.create_subscription(Metrics, topic, lambda msg: rounds.append(msg.round), 50)
        node.create_subscription(DiagnosticArray, "/diagnostics",
                                 lambda msg: statuses.extend(s for s in msg.status if s.name == name), 50)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)

        def done():
            return bool(rounds) and any(s.level == DiagnosticStatus.OK for s in statuses)

        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not done():
                executor.spin_once(timeout_sec=0.2)
        finally:
            executor.shutdown()
            node.destroy_node()
            context.try_shutdown()
        self.assertTrue(done(), f"rounds on {topic}: {rounds[-3:]}; {name}: {[s.message for s in statuses][-3:]}")


@launch_testing.post_shutdown_test()
class TestExit(unittest.TestCase):

    def test_every_node_stops_cleanly_on_sigint(self, proc_info):
        import launch_testing.asserts

        launch_testing.asserts.assertExitCodes(proc_info)
