"""``make bench``: run every benchmark and print its figures.

python -m bench                 # everything, at full size
python -m bench --members 200000 --unions 1000 --cases 200000   # a smaller run
python -m bench --only cases --keep   # the casework benchmark alone, on the data already built
python -m bench --only flash          # the flash crowd: 5,000 workers rush one 100-seat session
python -m bench --only flash --keep --clients 100 --gunicorn-workers 3   # another server set-up
"""

from __future__ import annotations

import argparse
import os

BENCHMARKS = ("members", "cases", "flash")


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
    parser.add_argument(
        "--crowd", type=int, default=5_000, help="flash: distinct workers, one booking each"
    )
    parser.add_argument("--clients", type=int, default=200, help="flash: requests in flight")
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        default=0,
        help="flash: gunicorn worker processes (default CPUs + 1)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="flash: threads per gunicorn worker (> 1: gthread)"
    )
    args = parser.parse_args()
    only = set(args.only or BENCHMARKS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    from bench import cases, flash, members

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
    if "flash" in only:
        # On the member benchmark's base too; --keep leaves its worker accounts for next time.
        flash.run(
            crowd=args.crowd,
            clients=args.clients,
            server_workers=args.gunicorn_workers,
            threads=args.threads,
            keep=args.keep,
            members=args.members,
            unions=args.unions,
        )


if __name__ == "__main__":
    main()
