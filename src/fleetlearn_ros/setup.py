"""fleetlearn_ros: rclpy node executables, launch files and parameter files.

launch/ and config/ here are links to the workspace's top-level folders, so `colcon build`
(also with --symlink-install) installs them into share/fleetlearn_ros/; `pip install -e` (the
venv of `make setup`) installs the node executables only, as editable installs take no data files.
"""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "fleetlearn_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "tests"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml", "README.md"]),
        (f"share/{PACKAGE}/launch", sorted(glob("launch/*.launch.py"))),
        (f"share/{PACKAGE}/config",
         sorted(glob("config/*.yaml") + glob("config/*.xml") + glob("config/*.perspective"))),
    ],
    # rclpy and the message packages come from the ROS install (package.xml), not from pip.
    install_requires=["fleetlearn", "pyyaml>=6", "torch"],
    # colcon test runs pytest (and so launch_testing's test/) only when it is a test dependency.
    extras_require={"test": ["pytest"]},
    zip_safe=False,
    maintainer="fleetlearn developers",
    maintainer_email="fleetlearn@example.org",
    description="ROS 2 nodes for fleetlearn: coordinator, robot and gossip peer.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "coordinator_node = fleetlearn_ros.coordinator_node:main",
            "robot_node = fleetlearn_ros.robot_node:main",
            "peer_node = fleetlearn_ros.peer_node:main",
        ],
    },
)
