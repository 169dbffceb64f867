"""``python -m benchmarks [NAME ...] [--smoke] [--repeat R] [--out DIR]``."""

import argparse
import sys

from ._harness import get_benchmarks, markdown_table, run_benchmarks


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, to check that they run"
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per case")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    try:
        benchmarks = get_benchmarks(args.names)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not benchmarks:
        print("No benchmarks are registered yet.")
        return 0
    repeat = args.repeat or (1 if args.smoke else 5)
    rows = run_benchmarks(benchmarks, smoke=args.smoke, repeat=repeat, out=args.out)
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
