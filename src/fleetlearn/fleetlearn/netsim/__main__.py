"""``python -m fleetlearn.netsim CONFIG [--set a.b=v] [--run-dir D]``: the netsim sub-command on its own."""

from __future__ import annotations

import sys

from ..cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    return cli_main(["netsim", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
