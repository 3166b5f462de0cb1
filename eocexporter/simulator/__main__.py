"""`python -m eocexporter.simulator`: the simulate command without the project's CLI."""

import argparse
import sys

from .cli import add_simulate_arguments, run_simulate


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="eocexporter simulate", description="Run a simulated Eocortex installation."
    )
    add_simulate_arguments(parser)
    return run_simulate(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
