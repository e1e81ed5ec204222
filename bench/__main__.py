"""``make bench``: run every benchmark and print its figures.

python -m bench                 # everything, at full size
python -m bench --members 200000 --unions 1000 --cases 200000   # a smaller run
python -m bench --only cases --keep   # the casework benchmark alone, on the data already built
"""

from __future__ import annotations

import argparse
import os

BENCHMARKS = ("members", "cases")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--unions", type=int, default=5_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the benchmark database if already built"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the query plans of the measured queues"
    )
    args = parser.parse_args()
    only = set(args.only or BENCHMARKS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    from bench import cases, members

    if "members" in only:
        members.run(members=args.members, unions=args.unions, samples=args.samples, keep=args.keep)
    if "cases" in only:
        # Builds on the member benchmark's database (built just above, or kept from before).
        cases.run(
            cases=args.cases,
            samples=args.samples,
            keep=args.keep,
            members=args.members,
            unions=args.unions,
            explain=args.explain,
        )


if __name__ == "__main__":
    main()
