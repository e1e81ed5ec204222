"""``make faults``: the fault suite (issue 11, point 8).

python -m faults                          # every fault
python -m faults --only redis-down        # one of them (repeatable)
python -m faults --keep                   # leave the run's directory (logs, database) behind
python -m faults --crowd 3000 --seats 2000 --import-rows 50000   # bigger

Starts a PostgreSQL cluster and a Redis server of its own on free ports in a temporary
directory (never the machine's shared ones), migrates, builds a small city, starts gunicorn,
a Celery worker and beat on them, injects each fault while the platform is at work, checks
the invariants and prints a table of fault × outcome. Exits 1 when any invariant failed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from faults import checks, scenarios, servers, world


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        choices=list(scenarios.SCENARIOS),
        action="append",
        help="run only this fault (repeatable)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="leave the run's directory (logs, data) behind"
    )
    defaults = scenarios.Options()
    parser.add_argument("--crowd", type=int, default=defaults.crowd, help="workers in a rush")
    parser.add_argument("--seats", type=int, default=defaults.seats, help="seats of a rush")
    parser.add_argument(
        "--clients", type=int, default=defaults.clients, help="requests in flight in a rush"
    )
    parser.add_argument(
        "--kills", type=int, default=defaults.kills, help="gunicorn workers killed in a rush"
    )
    parser.add_argument(
        "--import-rows", type=int, default=defaults.import_rows, help="rows of each import"
    )
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    return parser.parse_args(argv)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds into the clean-up, as Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    options = scenarios.Options(
        crowd=args.crowd,
        seats=args.seats,
        clients=args.clients,
        kills=args.kills,
        import_rows=args.import_rows,
    )
    chosen = args.only or list(scenarios.SCENARIOS)
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    stack = servers.Stack.create(keep=args.keep)
    results: list[checks.Result] = []

    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    try:
        say(f"the run's directory: {stack.root}")
        stack.start_backing()
        say(
            f"PostgreSQL 15 on 127.0.0.1:{stack.postgres.port}, "
            f"Redis on 127.0.0.1:{stack.redis.port}"
        )
        world.setup(stack.env)
        world.prepare_database(static=True)
        say("migrated, static files collected")
        city, roll = world.build(stack.root, workers=options.crowd + scenarios.RECOVERY_REQUESTS)
        say(f"the city: {len(city.workers):,} members with worker accounts and API tokens")
        stack.start_application(
            gunicorn_workers=args.gunicorn_workers, celery_concurrency=args.celery_concurrency
        )
        say(
            f"gunicorn ({args.gunicorn_workers} sync workers, production settings) on port "
            f"{stack.gunicorn.port if stack.gunicorn else '?'}, a Celery worker "
            f"(prefork × {args.celery_concurrency}) and beat"
        )
        run = scenarios.Run(stack=stack, city=city, roll=roll, options=options, started=started)
        for name in chosen:
            begun = time.monotonic()
            try:
                found = scenarios.SCENARIOS[name](run)
            except Exception as exc:  # noqa: BLE001  (a scenario that broke is a failed row)
                failed = checks.Result(name)
                failed.check("the scenario ran to its end", False, f"{type(exc).__name__}: {exc}")
                found = [failed]
                say(f"  {name} broke: {type(exc).__name__}: {exc}")
            results += found
            passed = sum(r.ok for r in found)
            say(f"  {name}: {passed} of {len(found)} passed in {time.monotonic() - begun:.0f} s")
    finally:
        say("stopping the servers")
        stack.close()
    checks.print_table(results, time.monotonic() - started)
    if args.keep:
        print(f"(the run's directory is left at {stack.root})")
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
