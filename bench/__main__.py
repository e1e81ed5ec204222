"""``make bench``: run every benchmark the modules declare and print its figures.

python -m bench                 # everything, at full size
python -m bench --members 200000 --unions 1000 --cases 200000   # a smaller run
python -m bench --only cases --keep   # the casework benchmark alone, on the data already built
python -m bench --only flash          # the flash crowd: 5,000 workers rush one 100-seat session
python -m bench --only flash --keep --clients 100 --gunicorn-workers 3   # another server set-up
python -m bench --list                # the scenarios, in the order they run

The scenarios come from the module registry (``core.modules.BenchScenario``): each module
names its scenario's entry point and its own options; they run in dependency order on one
PostgreSQL database (the member benchmark's base is what the others build on).
"""

from __future__ import annotations

import argparse
import os

from django.utils.module_loading import import_string


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    from bench import database
    from bench.members import setup_django

    # The registry needs Django; Django needs the database's address (nothing connects yet:
    # each scenario creates or reuses the database before its first query).
    database.point()
    setup_django()
    from gonghui.core import modules

    scenarios = modules.bench_scenarios()
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--unions", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--only",
        choices=[s.key for s in scenarios],
        action="append",
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the benchmark database if already built"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    for scenario in scenarios:
        if scenario.arguments:
            group = parser.add_argument_group(f"{scenario.key}: {scenario.help}")
            import_string(scenario.arguments)(group)
    args = parser.parse_args()
    if args.list:
        for scenario in scenarios:
            print(f"{scenario.key:10} {scenario.help}")
        return
    only = set(args.only or [s.key for s in scenarios])
    for scenario in scenarios:
        if scenario.key in only:
            import_string(scenario.run)(args)


if __name__ == "__main__":
    main()
