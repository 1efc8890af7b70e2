# The image of the compose test (tests/compose): no registry is reachable there, so its base is
# fleetlearn-base:bookworm, a Debian 12 minbase that docker/ci_base.sh makes with debootstrap. The
# project venv, the workspace and the venv's base Python are mounted read-only at their own paths
# (docker/compose.ci.yaml); the image adds only the entry point.
FROM fleetlearn-base:bookworm
COPY entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
