"""`python -m chameleonapi.detection build`: build and store the generic object detector."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chameleonapi.detection")
    parser.add_argument("command", choices=["build"])
    args = parser.parse_args(argv)
    if args.command == "build":
        from chameleonapi import config
        from chameleonapi.detection.heads import detectors_dir, generic_head

        generic_head(build=True)
        print(f"generic detector ({config.detector_budget()} budget) stored under {detectors_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
