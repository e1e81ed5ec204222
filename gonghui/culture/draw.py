"""The verifiable lottery draw for culture classes (抽签).

This file is published as it is: a worker downloads it with a draw record and runs
``python3 draw.py record.json`` to re-run the draw. It therefore imports the Python standard
library only, never Django or anything from ``gonghui``, and keeps to syntax that older
Python 3 releases still run. Inside the project it is also ``python -m gonghui.culture.draw``.

Contract of a draw: before sign-up closes the platform publishes ``commitment(seed)`` for a
secret ``new_seed()``; at close ``draw(seed, entrants, seats)`` ranks every entrant; afterwards
``build_record(...)`` is published (seed, masked entrant list, results) and ``verify(record)``
lets anyone check it. Any change to the ranking below changes published results, so the
algorithm is frozen under the name ``ALGORITHM``; a different ranking needs a new name.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import re
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "gonghui-draw-v1"

ALGORITHM_TEXT = """\
抽签算法 gonghui-draw-v1：
1. 种子 seed 是 32 个随机字节，以 64 位小写十六进制书写。报名截止前公布承诺值
   commitment = SHA-256(种子的 32 个字节)（十六进制）；开奖后公布种子，任何人可核对二者相符。
2. 每位报名者有公开且唯一的报名编号 code 和权重除数 d（正整数，权重为 1/d：1 为全权重，
   2 为减半）。
3. 对每位报名者计算 h = HMAC-SHA256(密钥 = 种子的 32 个字节, 消息 = code 的 UTF-8 编码)，
   按大端序读作 256 位无符号整数；u = (h + 1) / 2^256，取值在 (0, 1] 内。
4. 排序键 k = u^d，即 u^(1/权重)（Efraimidis–Spirakis 加权无放回抽样）。k 大者名次在前；
   k 相同（实际上不会发生）时按编号的 Unicode 码位升序。比较使用精确整数：设 D 为全体报名者
   中最大的 d，比较 (h + 1)^d × 2^(256 × (D − d))，它等于 k × 2^(256 × D)，
   因此任何计算机得到相同的名次。
5. 前 seats 名按名次中签；其余全部报名者按名次组成候补名单。

Draw algorithm gonghui-draw-v1:
1. The seed is 32 random bytes, written as 64 lowercase hex digits. Before sign-up closes the
   commitment = SHA-256(the seed's 32 bytes) (hex) is published; after the draw the seed is
   published and anyone can check that the two match.
2. Each entrant has a public, unique entry code and a weight divisor d (a positive integer; the
   weight is 1/d: 1 is full weight, 2 is halved).
3. For each entrant, h = HMAC-SHA256(key = the seed's 32 bytes, message = the UTF-8 encoding of
   the code), read big-endian as a 256-bit unsigned integer; u = (h + 1) / 2^256 lies in (0, 1].
4. The sort key is k = u^d, that is u^(1/weight) (Efraimidis–Spirakis weighted sampling without
   replacement). A larger k ranks first; equal keys (practically impossible) rank by code in
   ascending Unicode code-point order. The comparison uses exact integers: with D the largest d
   among all entrants, compare (h + 1)^d × 2^(256 × (D − d)), which equals k × 2^(256 × D),
   so every computer gets the same ranking.
5. The first `seats` entrants in rank order win; all the others, in rank order, form the
   waiting list.
"""

_SEED_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Entrant:
    """One sign-up in a draw.

    ``code`` is the public entry code (such as "B000123"), unique within a draw; it is what the
    published record and the results show, never a name. The entrant's weight is
    ``1 / weight_divisor`` (1 = full, 2 = halved for too many no-shows; any integer >= 1).
    """

    code: str
    weight_divisor: int = 1


@dataclass(frozen=True)
class DrawResult:
    """Entry codes in rank order: the winners, then every other entrant (the waiting list)."""

    winners: list[str]
    waiting: list[str]


def new_seed() -> str:
    """A fresh secret seed: 32 bytes from ``secrets``, as 64 lowercase hex digits."""
    return secrets.token_hex(32)


def _seed_bytes(seed: str) -> bytes:
    # Only the canonical form new_seed() produces is accepted, so the published seed text is
    # unambiguous (no upper case, spaces or prefixes that bytes.fromhex would tolerate).
    if not isinstance(seed, str) or not _SEED_RE.fullmatch(seed):
        raise ValueError(
            "种子必须是 64 位小写十六进制字符 / the seed must be 64 lowercase hex digits"
        )
    return bytes.fromhex(seed)


def commitment(seed: str) -> str:
    """SHA-256 of the seed's 32 bytes (not of its hex text), as a lowercase hex digest."""
    return hashlib.sha256(_seed_bytes(seed)).hexdigest()


def _whole(value: Any, minimum: int) -> int | None:
    """``value`` if it is an integer >= minimum, else None (bool is an int, but never a count)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    return None


def _check_entrants(entrants: Sequence[Entrant]) -> None:
    seen: set[str] = set()
    for entrant in entrants:
        if not isinstance(entrant.code, str) or not entrant.code:
            raise ValueError(
                f"报名编号必须是非空字符串 / entry code must be non-empty text: {entrant.code!r}"
            )
        if entrant.code in seen:
            raise ValueError(f"报名编号重复 / duplicate entry code: {entrant.code}")
        seen.add(entrant.code)
        if _whole(entrant.weight_divisor, 1) is None:
            raise ValueError(
                f"权重除数必须是不小于 1 的整数 / weight divisor must be an integer >= 1: "
                f"{entrant.code} {entrant.weight_divisor!r}"
            )


def ranking(seed: str, entrants: Sequence[Entrant]) -> list[str]:
    """Every entrant's code in rank order (see ALGORITHM_TEXT); independent of input order."""
    key = _seed_bytes(seed)
    _check_entrants(entrants)
    if not entrants:
        return []
    top = max(entrant.weight_divisor for entrant in entrants)
    scored: list[tuple[int, str]] = []
    for entrant in entrants:
        digest = hmac.new(key, entrant.code.encode("utf-8"), hashlib.sha256).digest()
        h = int.from_bytes(digest, "big")
        d = entrant.weight_divisor
        # u^d scaled by the common factor 2^(256*top): exact, so no machine rounds differently.
        scored.append(((h + 1) ** d << (256 * (top - d)), entrant.code))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [code for _, code in scored]


def draw(seed: str, entrants: Sequence[Entrant], seats: int) -> DrawResult:
    """Rank the entrants; the first ``seats`` win, all the others wait in rank order.

    Raises ValueError for a malformed seed, duplicate codes, a divisor below 1 or seats < 0.
    """
    if _whole(seats, 0) is None:
        raise ValueError(f"名额必须是不小于 0 的整数 / seats must be an integer >= 0: {seats!r}")
    order = ranking(seed, entrants)
    return DrawResult(winners=order[:seats], waiting=order[seats:])


def build_record(
    *, title: str, seed: str, seats: int, entrants: Sequence[tuple[Entrant, str]]
) -> dict[str, Any]:
    """Run the draw and return the record to publish (JSON-ready).

    ``entrants`` pairs each Entrant with its already masked name (such as "张*"); the caller
    masks, this module never sees a full name. Entrants are listed by code: one canonical order,
    whatever order the caller gathered them in.
    """
    result = draw(seed, [entrant for entrant, _ in entrants], seats)
    listed = sorted(entrants, key=lambda pair: pair[0].code)
    return {
        "algorithm": ALGORITHM,
        "title": title,
        "commitment": commitment(seed),
        "seed": seed,
        "seats": seats,
        "entrants": [
            {"code": entrant.code, "name": name, "weight_divisor": entrant.weight_divisor}
            for entrant, name in listed
        ],
        "winners": result.winners,
        "waiting": result.waiting,
    }


_ENGLISH = {"中签名单": "winners", "候补名单": "waiting list"}


def _first_difference(label: str, published: list[Any], recomputed: list[str]) -> str | None:
    """A message naming the first 1-based position where the two lists differ, or None."""
    for index in range(max(len(published), len(recomputed))):
        mine = published[index] if index < len(published) else None
        theirs = recomputed[index] if index < len(recomputed) else None
        if mine != theirs:
            shown = "（无）" if mine is None else str(mine)
            expected = "（无）" if theirs is None else theirs
            return (
                f"{label}不一致：第 {index + 1} 位公布为 {shown}，重算为 {expected}"
                f"（公布 {len(published)} 人，重算 {len(recomputed)} 人）"
                f" / the {_ENGLISH[label]} differ from position {index + 1}: published {shown}, "
                f"recomputed {expected} ({len(published)} published, {len(recomputed)} recomputed)"
            )
    return None


def verify(record: Any) -> list[str]:
    """Re-run a published draw record; the problems found, empty when it checks out.

    A record that is not even well formed yields problems too, never an exception, since it
    may be any file a worker downloaded.
    """
    if not isinstance(record, dict):
        return ["记录不是 JSON 对象 / the record is not a JSON object"]
    problems: list[str] = []

    algorithm = record.get("algorithm")
    if algorithm != ALGORITHM:
        problems.append(
            f"未知的算法 {algorithm!r}，本程序只能核对 {ALGORITHM} / "
            f"unknown algorithm {algorithm!r}; this program checks {ALGORITHM} only"
        )
        return problems

    seed = record.get("seed")
    if not isinstance(seed, str) or not _SEED_RE.fullmatch(seed):
        problems.append(
            "种子缺失或不是 64 位小写十六进制 / seed missing or not 64 lowercase hex digits"
        )
        return problems
    if record.get("commitment") != commitment(seed):
        problems.append(
            "承诺值与种子不符：SHA-256(种子) 不等于公布的承诺值 / "
            "the commitment does not match the seed: SHA-256(seed) differs from it"
        )

    seats = _whole(record.get("seats"), 0)
    if seats is None:
        problems.append(f"名额无效 / invalid number of seats: {record.get('seats')!r}")
        return problems

    rows = record.get("entrants")
    if not isinstance(rows, list):
        problems.append("报名名单缺失 / the entrant list is missing")
        return problems
    entrants: list[Entrant] = []
    for position, row in enumerate(rows, start=1):
        code = row.get("code") if isinstance(row, dict) else None
        divisor = _whole(row.get("weight_divisor"), 1) if isinstance(row, dict) else None
        if not isinstance(code, str) or not code or divisor is None:
            problems.append(
                f"报名名单第 {position} 条格式无效 / entrant {position} is malformed: {row!r}"
            )
            return problems
        entrants.append(Entrant(code=code, weight_divisor=divisor))
    codes = [entrant.code for entrant in entrants]
    if len(set(codes)) != len(codes):
        problems.append("报名名单中有重复的编号 / the entrant list repeats an entry code")
        return problems

    result = draw(seed, entrants, seats)
    for label, field, recomputed in (
        ("中签名单", "winners", result.winners),
        ("候补名单", "waiting", result.waiting),
    ):
        published = record.get(field)
        if not isinstance(published, list):
            problems.append(f"{label}缺失 / the {_ENGLISH[label]} is missing")
            continue
        difference = _first_difference(label, published, recomputed)
        if difference:
            problems.append(difference)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: verify one record file; 0 when it checks out, 1 otherwise."""
    # Chinese output must not crash a console whose encoding lacks a character.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    parser = argparse.ArgumentParser(
        description="核对工会课程抽签结果 / verify a Gonghui class lottery draw record"
    )
    parser.add_argument("record", help="抽签记录 JSON 文件 / the draw record JSON file")
    args = parser.parse_args(argv)

    try:
        with open(args.record, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"无法读取记录 / cannot read the record: {error}")
        return 1

    if isinstance(record, dict):
        entrants = record.get("entrants")
        print(f"课程 / class: {record.get('title')}")
        print(f"算法 / algorithm: {record.get('algorithm')}")
        print(f"名额 / seats: {record.get('seats')}")
        print(f"报名人数 / entrants: {len(entrants) if isinstance(entrants, list) else '?'}")
        print(f"种子 / seed: {record.get('seed')}")
        print(f"承诺值 / commitment: {record.get('commitment')}")
        print("请将承诺值与报名截止前公布的承诺值比对。")
        print("Compare the commitment with the one published before sign-up closed.")

    problems = verify(record)
    if problems:
        print("结果不一致 / the draw does NOT check out:")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print("结果一致 / the draw checks out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
