"""fleetlearn core: pip-installable and an ament_python package."""

from setuptools import find_packages, setup

PACKAGE = "fleetlearn"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "tests"]),
    package_data={"fleetlearn.transport": ["*.xml"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    python_requires=">=3.10",
    # What the code imports. requirements.txt pins the versions tested together (torch and torchvision
    # included: unpinned here, as a ROS install or the Docker image brings its own build); package.xml
    # names the same as rosdep keys.
    install_requires=["numpy>=1.26", "pyyaml>=6", "torch", "torchvision", "pillow>=10", "matplotlib>=3.8",
                      "pycocotools>=2.0.8", "scikit-learn>=1.4", "cyclonedds>=11"],
    zip_safe=False,
    maintainer="fleetlearn developers",
    maintainer_email="fleetlearn@example.org",
    description="Communication-efficient fleet learning of an object detector over ROS 2 / DDS.",
    license="Apache-2.0",
    entry_points={"console_scripts": ["fleetlearn = fleetlearn.cli:main"]},
)
