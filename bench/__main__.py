"""``make bench``: run every benchmark and print its figures.

python -m bench                 # everything, at full size
python -m bench --members 200000 --unions 1000   # a smaller run
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--unions", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the benchmark database if already built"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    from bench import members

    members.run(members=args.members, unions=args.unions, samples=args.samples, keep=args.keep)


if __name__ == "__main__":
    main()
