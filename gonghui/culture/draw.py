# -*- coding: utf-8 -*-
# ruff: noqa: E402, UP009, UP031
"""The verifiable lottery draw for culture classes (抽签).

This file is published as it is: a worker downloads it with a draw record and runs
``python3 draw.py record.json`` to re-run the draw. It therefore imports the Python standard
library only, never Django or anything from ``gonghui``. Inside the project it is also
``python -m gonghui.culture.draw``.

It needs Python 3.6 or later (``MINIMUM_PYTHON``; run by the tests on 3.6 to 3.13 where those
interpreters are installed). So that an older interpreter (the ``python`` of many servers is
still 2.7) says so instead of failing with a SyntaxError, the whole file is written in syntax
that Python 2.7 and every Python 3 can parse: no f-strings, no annotations (types are given in
``# type:`` comments, which mypy reads), no keyword-only parameters; and the version check
below runs before anything else is imported.

Contract of a draw: when a lottery is published the platform publishes ``commitment(seed)``
for a secret ``new_seed()``; when sign-up closes, before the draw, it publishes
``entrants_digest(seats, entrants)`` of the frozen entrant list; ``draw(seed, entrants,
seats)`` then ranks every entrant, and ``build_record(...)`` is published (seed, masked entrant
list, both published values, results) for ``verify(record)`` to check. Any change to the
ranking below changes published results, so the algorithm is frozen under the name
``ALGORITHM``; a different ranking needs a new name.
"""

import sys

MINIMUM_PYTHON = (3, 6)

if sys.version_info < MINIMUM_PYTHON:
    _NEEDS = tuple(MINIMUM_PYTHON) + tuple(sys.version_info[:2])
    _TOO_OLD = (
        "draw.py 需要 Python %d.%d 或更高版本，当前是 Python %d.%d。"
        "请安装较新的 Python 3 后运行：python3 draw.py 抽签记录.json\n"
        "draw.py needs Python %d.%d or later; this is Python %d.%d. "
        "Install a recent Python 3 and run: python3 draw.py record.json\n"
    ) % (_NEEDS + _NEEDS)
    if getattr(sys.stderr, "buffer", None) is not None:
        # Python 3: bytes in the console's own encoding, so a console that cannot show
        # Chinese still shows the English line instead of raising UnicodeEncodeError.
        sys.stderr.buffer.write(_TOO_OLD.encode(sys.stderr.encoding or "utf-8", "replace"))
    else:
        sys.stderr.write(_TOO_OLD)  # Python 2: the UTF-8 bytes of this file
    sys.exit(2)

import argparse
import hashlib
import hmac
import io
import json
import re
import secrets
from collections import namedtuple

# Used in the ``# type:`` comments, which mypy reads and ruff does not.
from collections.abc import Sequence  # noqa: F401
from typing import Any  # noqa: F401

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
6. 报名截止时、开奖前，公布锁定的报名名单摘要 entrants_digest = SHA-256(一段 UTF-8 文本)
   （十六进制）：第一行为 “seats 名额”，其后按编号的 Unicode 码位升序，每位报名者一行
   “编号 权重除数”，每行以换行符结尾。记录中的名额和报名名单（含权重）必须与它相符。

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
6. When sign-up closes, before the draw, the digest of the frozen entrant list is published:
   entrants_digest = SHA-256(a UTF-8 text) (hex) whose first line is "seats <seats>", followed
   by one line "<code> <d>" per entrant in ascending code-point order of the codes, every line
   ending in a line feed. The seats and the entrant list (with the weights) of the record must
   match it.
"""

_HEX64_RE = re.compile(r"[0-9a-f]{64}")
# Entry codes are written one per line into the digested text, so none may hold a line break
# (or any other control character, which no one could see in the published list).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


class Entrant(namedtuple("Entrant", "code weight_divisor")):
    """One sign-up in a draw.

    ``code`` is the public entry code (such as "B000123"), unique within a draw; it is what the
    published record and the results show, never a name. The entrant's weight is
    ``1 / weight_divisor`` (1 = full, 2 = halved for too many no-shows; any integer >= 1).
    """

    __slots__ = ()

    def __new__(cls, code, weight_divisor=1):
        # type: (str, int) -> Entrant
        return super().__new__(cls, code, weight_divisor)


class DrawResult(namedtuple("DrawResult", "winners waiting")):
    """Entry codes in rank order: the winners, then every other entrant (the waiting list)."""

    __slots__ = ()


def new_seed():
    # type: () -> str
    """A fresh secret seed: 32 bytes from ``secrets``, as 64 lowercase hex digits."""
    return secrets.token_hex(32)


def _seed_bytes(seed):
    # type: (Any) -> bytes
    # Only the canonical form new_seed() produces is accepted, so the published seed text is
    # unambiguous (no upper case, spaces or prefixes that bytes.fromhex would tolerate).
    if not isinstance(seed, str) or not _HEX64_RE.fullmatch(seed):
        raise ValueError(
            "种子必须是 64 位小写十六进制字符 / the seed must be 64 lowercase hex digits"
        )
    return bytes.fromhex(seed)


def commitment(seed):
    # type: (str) -> str
    """SHA-256 of the seed's 32 bytes (not of its hex text), as a lowercase hex digest."""
    return hashlib.sha256(_seed_bytes(seed)).hexdigest()


def _whole(value, minimum):
    # type: (Any, int) -> int | None
    """``value`` if it is an integer >= minimum, else None (bool is an int, but never a count)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    return None


def _check_entrants(entrants):
    # type: (Sequence[Entrant]) -> None
    seen = set()  # type: set[str]
    for entrant in entrants:
        if not isinstance(entrant.code, str) or not entrant.code:
            raise ValueError(
                "报名编号必须是非空字符串 / entry code must be non-empty text: %r" % (entrant.code,)
            )
        if entrant.code in seen:
            raise ValueError("报名编号重复 / duplicate entry code: %s" % entrant.code)
        seen.add(entrant.code)
        if _whole(entrant.weight_divisor, 1) is None:
            raise ValueError(
                "权重除数必须是不小于 1 的整数 / weight divisor must be an integer >= 1: "
                "%s %r" % (entrant.code, entrant.weight_divisor)
            )


def ranking(seed, entrants):
    # type: (str, Sequence[Entrant]) -> list[str]
    """Every entrant's code in rank order (see ALGORITHM_TEXT); independent of input order."""
    key = _seed_bytes(seed)
    _check_entrants(entrants)
    if not entrants:
        return []
    top = max(entrant.weight_divisor for entrant in entrants)
    scored = []  # type: list[tuple[int, str]]
    for entrant in entrants:
        digest = hmac.new(key, entrant.code.encode("utf-8"), hashlib.sha256).digest()
        h = int.from_bytes(digest, "big")
        d = entrant.weight_divisor
        # u^d scaled by the common factor 2^(256*top): exact, so no machine rounds differently.
        scored.append(((h + 1) ** d << (256 * (top - d)), entrant.code))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [code for _, code in scored]


def draw(seed, entrants, seats):
    # type: (str, Sequence[Entrant], int) -> DrawResult
    """Rank the entrants; the first ``seats`` win, all the others wait in rank order.

    Raises ValueError for a malformed seed, duplicate codes, a divisor below 1 or seats < 0.
    """
    if _whole(seats, 0) is None:
        raise ValueError("名额必须是不小于 0 的整数 / seats must be an integer >= 0: %r" % (seats,))
    order = ranking(seed, entrants)
    return DrawResult(winners=order[:seats], waiting=order[seats:])


def entrants_digest(seats, entrants):
    # type: (int, Sequence[Entrant]) -> str
    """The digest published when sign-up closes, before the draw: SHA-256 (lowercase hex) of
    the UTF-8 text "seats <seats>\\n" followed by "<code> <weight divisor>\\n" for every
    entrant in ascending code-point order of the codes. It fixes who takes part, with which
    weight, for how many seats, before the seed that decides the ranking is revealed.

    Raises ValueError like ``draw``, and for a code holding a control character (a line
    break in a code would make two lists write the same text)."""
    if _whole(seats, 0) is None:
        raise ValueError("名额必须是不小于 0 的整数 / seats must be an integer >= 0: %r" % (seats,))
    _check_entrants(entrants)
    lines = ["seats %d\n" % seats]
    for entrant in sorted(entrants, key=lambda entrant: entrant.code):
        if _CONTROL_RE.search(entrant.code):
            raise ValueError(
                "报名编号不能含控制字符 / an entry code must not hold control characters: %r"
                % (entrant.code,)
            )
        lines.append("%s %d\n" % (entrant.code, entrant.weight_divisor))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def build_record(title, seed, seats, entrants):
    # type: (str, str, int, Sequence[tuple[Entrant, str]]) -> dict[str, Any]
    """Run the draw and return the record to publish (JSON-ready).

    ``entrants`` pairs each Entrant with its already masked name (such as "张*"); the caller
    masks, this module never sees a full name. Entrants are listed by code: one canonical order,
    whatever order the caller gathered them in. Pass the arguments by name.
    """
    plain = [entrant for entrant, _ in entrants]
    result = draw(seed, plain, seats)
    listed = sorted(entrants, key=lambda pair: pair[0].code)
    return {
        "algorithm": ALGORITHM,
        "title": title,
        "commitment": commitment(seed),
        "entrants_digest": entrants_digest(seats, plain),
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


def _first_difference(label, published, recomputed):
    # type: (str, list[Any], list[str]) -> str | None
    """A message naming the first 1-based position where the two lists differ, or None."""
    for index in range(max(len(published), len(recomputed))):
        mine = published[index] if index < len(published) else None
        theirs = recomputed[index] if index < len(recomputed) else None
        if mine != theirs:
            shown = "（无）" if mine is None else str(mine)
            expected = "（无）" if theirs is None else theirs
            return (
                "%s不一致：第 %d 位公布为 %s，重算为 %s（公布 %d 人，重算 %d 人）"
                " / the %s differ from position %d: published %s, recomputed %s"
                " (%d published, %d recomputed)"
                % (
                    label,
                    index + 1,
                    shown,
                    expected,
                    len(published),
                    len(recomputed),
                    _ENGLISH[label],
                    index + 1,
                    shown,
                    expected,
                    len(published),
                    len(recomputed),
                )
            )
    return None


def _compare_published(record, expected_commitment, expected_entrants_digest):
    # type: (dict[str, Any], str | None, str | None) -> list[str]
    """The record's two published values against those the checker saw on the class page
    (the record alone can only prove that it agrees with itself)."""
    problems = []  # type: list[str]
    for field, expected, label, english in (
        ("commitment", expected_commitment, "承诺值", "commitment"),
        ("entrants_digest", expected_entrants_digest, "报名名单摘要", "entrant digest"),
    ):
        if expected is not None and record.get(field) != expected.strip().lower():
            problems.append(
                "记录中的%s与公布的不同：记录为 %s，公布为 %s / the record's %s differs from "
                "the published one: %s in the record, %s published"
                % (label, record.get(field), expected, english, record.get(field), expected)
            )
    return problems


def verify(record, expected_commitment=None, expected_entrants_digest=None):
    # type: (Any, str | None, str | None) -> list[str]
    """Re-run a published draw record; the problems found, empty when it checks out.

    The record must agree with itself: its commitment is the seed's, its entrant digest is
    that of its seats and entrant list, and its winners and waiting list are the draw's.
    Given the commitment and the entrant digest the class page published (before the draw),
    the record must also carry those. A record that is not even well formed yields problems
    too, never an exception, since it may be any file a worker downloaded.
    """
    if not isinstance(record, dict):
        return ["记录不是 JSON 对象 / the record is not a JSON object"]
    problems = []  # type: list[str]

    algorithm = record.get("algorithm")
    if algorithm != ALGORITHM:
        problems.append(
            "未知的算法 %r，本程序只能核对 %s / unknown algorithm %r; this program checks %s only"
            % (algorithm, ALGORITHM, algorithm, ALGORITHM)
        )
        return problems
    problems.extend(_compare_published(record, expected_commitment, expected_entrants_digest))

    seed = record.get("seed")
    if not isinstance(seed, str) or not _HEX64_RE.fullmatch(seed):
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
        problems.append("名额无效 / invalid number of seats: %r" % (record.get("seats"),))
        return problems

    rows = record.get("entrants")
    if not isinstance(rows, list):
        problems.append("报名名单缺失 / the entrant list is missing")
        return problems
    entrants = []  # type: list[Entrant]
    for position, row in enumerate(rows, start=1):
        code = row.get("code") if isinstance(row, dict) else None
        divisor = _whole(row.get("weight_divisor"), 1) if isinstance(row, dict) else None
        if not isinstance(code, str) or not code or _CONTROL_RE.search(code) or divisor is None:
            problems.append(
                "报名名单第 %d 条格式无效 / entrant %d is malformed: %r" % (position, position, row)
            )
            return problems
        entrants.append(Entrant(code=code, weight_divisor=divisor))
    codes = [entrant.code for entrant in entrants]
    if len(set(codes)) != len(codes):
        problems.append("报名名单中有重复的编号 / the entrant list repeats an entry code")
        return problems

    published_digest = record.get("entrants_digest")
    if not isinstance(published_digest, str) or not _HEX64_RE.fullmatch(published_digest):
        problems.append(
            "报名名单摘要缺失或不是 64 位小写十六进制 / "
            "the entrant digest is missing or not 64 lowercase hex digits"
        )
    elif published_digest != entrants_digest(seats, entrants):
        problems.append(
            "报名名单摘要与名单不符：名额、报名编号或权重与截止时公布的不同 / the entrant digest "
            "does not match the list: the seats, an entry code or a weight differs from what "
            "was published when sign-up closed"
        )

    result = draw(seed, entrants, seats)
    for label, field, recomputed in (
        ("中签名单", "winners", result.winners),
        ("候补名单", "waiting", result.waiting),
    ):
        published = record.get(field)
        if not isinstance(published, list):
            problems.append("%s缺失 / the %s is missing" % (label, _ENGLISH[label]))
            continue
        difference = _first_difference(label, published, recomputed)
        if difference:
            problems.append(difference)
    return problems


def _tolerant_stdout():
    # type: () -> None
    """Chinese output must not crash a console whose encoding lacks a character."""
    stream = sys.stdout
    if not isinstance(stream, io.TextIOWrapper):
        return
    if hasattr(stream, "reconfigure"):  # Python 3.7 and later
        stream.reconfigure(errors="replace")
    else:
        sys.stdout = io.TextIOWrapper(
            stream.buffer, encoding=stream.encoding, errors="replace", line_buffering=True
        )


def main(argv=None):
    # type: (Sequence[str] | None) -> int
    """Command line: verify one record file; 0 when it checks out, 1 otherwise."""
    _tolerant_stdout()
    parser = argparse.ArgumentParser(
        description="核对工会课程抽签结果 / verify a Gonghui class lottery draw record "
        "(Python %d.%d+)" % MINIMUM_PYTHON
    )
    parser.add_argument("record", help="抽签记录 JSON 文件 / the draw record JSON file")
    parser.add_argument(
        "--commitment",
        help="课程页面公布的承诺值 / the commitment published on the class page",
    )
    parser.add_argument(
        "--entrants-digest",
        help="报名截止时公布的报名名单摘要 / the entrant digest published when sign-up closed",
    )
    args = parser.parse_args(argv)

    try:
        with open(args.record, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError) as error:
        print("无法读取记录 / cannot read the record: %s" % error)
        return 1

    if isinstance(record, dict):
        entrants = record.get("entrants")
        print("课程 / class: %s" % record.get("title"))
        print("算法 / algorithm: %s" % record.get("algorithm"))
        print("名额 / seats: %s" % record.get("seats"))
        print("报名人数 / entrants: %s" % (len(entrants) if isinstance(entrants, list) else "?"))
        print("种子 / seed: %s" % record.get("seed"))
        print("承诺值 / commitment: %s" % record.get("commitment"))
        print("报名名单摘要 / entrant digest: %s" % record.get("entrants_digest"))
        if args.commitment is None or args.entrants_digest is None:
            print("请将承诺值和报名名单摘要与课程页面上开奖前公布的比对，")
            print("或用 --commitment 和 --entrants-digest 把公布的值交给本程序比对。")
            print("Compare the commitment and the entrant digest with those the class page")
            print("published before the draw, or pass them with --commitment and")
            print("--entrants-digest for this program to compare.")

    problems = verify(record, args.commitment, args.entrants_digest)
    if problems:
        print("结果不一致 / the draw does NOT check out:")
        for problem in problems:
            print("- %s" % problem)
        return 1
    print("结果一致 / the draw checks out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
