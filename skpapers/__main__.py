"""Command line: ``python -m skpapers {reproduce,list}``."""

import argparse
import sys


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skpapers",
        description="Reproduce the headline experiments of the skpapers methods.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    reproduce = commands.add_parser(
        "reproduce", help="run experiments and write a report"
    )
    reproduce.add_argument("names", nargs="*", help="experiments to run (default: all)")
    size = reproduce.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="quick",
        action="store_true",
        default=True,
        help="small sizes that finish in minutes on two cores (default)",
    )
    size.add_argument(
        "--full", dest="quick", action="store_false", help="the papers' sizes"
    )
    reproduce.add_argument(
        "--out", default="skpapers-report", help="output folder (default: %(default)s)"
    )
    reproduce.add_argument("--random-state", type=int, default=0)
    commands.add_parser("list", help="list the registered experiments")
    return parser


def main(argv=None):
    """Entry point; returns the process exit code."""
    from skpapers.experiments import get_experiments, run_experiments

    args = _parser().parse_args(argv)
    try:
        experiments = get_experiments(getattr(args, "names", None))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "list":
        if not experiments:
            print("No experiments are registered yet.")
        for exp in experiments:
            print(f"{exp.name:<20} {exp.paper}")
        return 0
    if not experiments:
        print("No experiments are registered yet; nothing to reproduce.")
        return 0
    records = run_experiments(
        experiments, quick=args.quick, out=args.out, random_state=args.random_state
    )
    failed = [r["name"] for r in records if r["status"] == "failed"]
    print(f"Report written to {args.out}/report.md")
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
