"""The verifiable lottery draw (gonghui/culture/draw.py): no database, standard library only.

Statistical tests use seeds derived from sha256 of an index, so every run sees the same draws:
they cannot flake, and the thresholds (p ≈ 1e-4, 5 sigma) only guard against a real bias.
"""

import ast
import hashlib
import hmac
import json
import math
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gonghui.culture import draw as draw_module
from gonghui.culture.draw import (
    ALGORITHM,
    ALGORITHM_TEXT,
    DrawResult,
    Entrant,
    build_record,
    commitment,
    draw,
    entrants_digest,
    new_seed,
    verify,
)

DRAW_PY = Path(draw_module.__file__).resolve()
GOLDEN_SEED = hashlib.sha256(b"gonghui-draw-v1 golden").hexdigest()

# Pearson chi-square with 9 degrees of freedom exceeds 33.72 with probability 1e-4.
CHI2_9DF_P1E4 = 33.72


def derived_seed(label, index):
    """A reproducible seed: sha256 of a label and an index, as 64 lowercase hex digits."""
    return hashlib.sha256(f"{label}-{index}".encode()).hexdigest()


def reference_ranking(seed, entrants):
    """The published algorithm written directly with exact fractions: key u ** d, larger first."""

    def key(entrant):
        mac = hmac.new(bytes.fromhex(seed), entrant.code.encode("utf-8"), hashlib.sha256)
        u = Fraction(int.from_bytes(mac.digest(), "big") + 1, 2**256)
        return (-(u**entrant.weight_divisor), entrant.code)

    return [entrant.code for entrant in sorted(entrants, key=key)]


def sample_record(seats=3, count=12):
    entrants = [
        (Entrant(f"B{i:06d}", 2 if i % 5 == 0 else 1), f"{'张王李赵'[i % 4]}*")
        for i in range(count, 0, -1)
    ]
    return build_record(title="书法班 第1期", seed=GOLDEN_SEED, seats=seats, entrants=entrants)


# --- seed and commitment ---------------------------------------------------------------------


def test_new_seed_is_64_lowercase_hex_and_fresh():
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    for seed in seeds:
        assert len(seed) == 64 and seed == seed.lower() and bytes.fromhex(seed)


def test_commitment_is_sha256_of_the_seed_bytes():
    # the well-known SHA-256 of 32 zero bytes, not of the 64 characters "000…"
    assert commitment("00" * 32) == (
        "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    )
    seed = new_seed()
    assert commitment(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    assert commitment(seed) != hashlib.sha256(seed.encode()).hexdigest()


@pytest.mark.parametrize(
    "seed",
    ["", "00" * 31, "00" * 33, "AB" * 32, "zz" * 32, " " + "00" * 32, "0x" + "00" * 31, None],
)
def test_malformed_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="种子"):
        commitment(seed)
    with pytest.raises(ValueError, match="种子"):
        draw(seed, [Entrant("B000001")], 1)


# --- the draw itself -------------------------------------------------------------------------


def test_golden_draw_is_pinned():
    # Published records must re-verify forever: any change here breaks gonghui-draw-v1.
    entrants = [Entrant(f"B{i:06d}", 2 if i in (3, 7) else 1) for i in range(1, 9)]
    assert draw(GOLDEN_SEED, entrants, 3) == DrawResult(
        winners=["B000003", "B000002", "B000006"],
        waiting=["B000005", "B000008", "B000007", "B000001", "B000004"],
    )
    mixed = [Entrant("B000001", 3), Entrant("B000002"), Entrant("B000003"), Entrant("张三-01", 2)]
    assert draw(GOLDEN_SEED, mixed, 2) == DrawResult(
        winners=["B000003", "B000002"], waiting=["张三-01", "B000001"]
    )
    assert reference_ranking(GOLDEN_SEED, mixed) == ["B000003", "B000002", "张三-01", "B000001"]


codes_and_divisors = st.lists(
    st.tuples(st.text(min_size=1, max_size=8), st.integers(min_value=1, max_value=3)),
    max_size=60,
    unique_by=lambda pair: pair[0],
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.binary(min_size=32, max_size=32).map(bytes.hex),
    pairs=codes_and_divisors,
    seats=st.integers(min_value=0, max_value=70),
    data=st.data(),
)
def test_draw_is_deterministic_order_free_and_complete(seed, pairs, seats, data):
    entrants = [Entrant(code, divisor) for code, divisor in pairs]
    result = draw(seed, entrants, seats)

    # deterministic, and independent of the order the entrants are given in
    assert draw(seed, entrants, seats) == result
    shuffled = data.draw(st.permutations(entrants))
    assert draw(seed, shuffled, seats) == result
    # every entrant exactly once: winners then the whole waiting list
    codes = [entrant.code for entrant in entrants]
    assert sorted(result.winners + result.waiting) == sorted(codes)
    assert len(result.winners) == min(seats, len(entrants))
    # the integer comparison ranks exactly as u ** d does
    assert result.winners + result.waiting == reference_ranking(seed, entrants)


def test_invalid_entrants_and_seats_are_rejected():
    seed = GOLDEN_SEED
    with pytest.raises(ValueError, match="重复"):
        draw(seed, [Entrant("B000001"), Entrant("B000002"), Entrant("B000001", 2)], 1)
    with pytest.raises(ValueError, match="名额"):
        draw(seed, [Entrant("B000001")], -1)
    for divisor in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="权重"):
            draw(seed, [Entrant("B000001", divisor)], 1)
    with pytest.raises(ValueError, match="编号"):
        draw(seed, [Entrant("")], 1)


def test_empty_draw_and_more_seats_than_entrants():
    assert draw(GOLDEN_SEED, [], 100) == DrawResult(winners=[], waiting=[])
    result = draw(GOLDEN_SEED, [Entrant("B000001"), Entrant("B000002", 3)], 100)
    assert sorted(result.winners) == ["B000001", "B000002"] and result.waiting == []


def test_the_seed_decides_the_winners():
    entrants = [Entrant(f"B{i:06d}") for i in range(500)]
    winner_lists = {tuple(draw(derived_seed("seed", i), entrants, 10).winners) for i in range(30)}
    assert len(winner_lists) == 30
    # nor does the ranking fall back to code order
    assert draw(GOLDEN_SEED, entrants, 10).winners != [e.code for e in entrants[:10]]


def chi_square(counts, expected):
    return sum((count - expected) ** 2 / expected for count in counts)


def test_equal_weights_are_uniform():
    trials, size, seats = 3000, 10, 3
    entrants = [Entrant(f"B{i:06d}") for i in range(size)]
    wins = dict.fromkeys((e.code for e in entrants), 0)
    firsts = dict.fromkeys(wins, 0)
    for index in range(trials):
        result = draw(derived_seed("uniform", index), entrants, seats)
        for code in result.winners:
            wins[code] += 1
        firsts[result.winners[0]] += 1

    # Each entrant wins with p = 3/10: expected 900, sigma sqrt(3000 * 0.3 * 0.7).
    expected, sigma = trials * seats / size, math.sqrt(trials * 0.3 * 0.7)
    assert all(abs(count - expected) < 5 * sigma for count in wins.values()), wins
    # Win counts are less dispersed than a multinomial's, so this threshold is conservative.
    assert chi_square(wins.values(), expected) < CHI2_9DF_P1E4, wins
    # The first place is a plain multinomial over 10 entrants: expected 300 each.
    assert chi_square(firsts.values(), trials / size) < CHI2_9DF_P1E4, firsts
    first_sigma = math.sqrt(trials * 0.1 * 0.9)
    assert all(abs(count - trials / size) < 5 * first_sigma for count in firsts.values()), firsts


def test_halved_weight_wins_half_as_often():
    # One entrant at weight 1/2 among ten at weight 1, one seat: p = 0.5 / 10.5 = 1/21.
    trials = 21000
    entrants = [Entrant("HALVED", 2)] + [Entrant(f"B{i:06d}") for i in range(10)]
    firsts = dict.fromkeys((e.code for e in entrants), 0)
    for index in range(trials):
        firsts[draw(derived_seed("weight", index), entrants, 1).winners[0]] += 1

    p = 1 / 21
    assert abs(firsts["HALVED"] - trials * p) < 5 * math.sqrt(trials * p * (1 - p)), firsts
    full = [count for code, count in firsts.items() if code != "HALVED"]
    q = 2 / 21
    assert all(abs(count - trials * q) < 5 * math.sqrt(trials * q * (1 - q)) for count in full)
    assert firsts["HALVED"] < min(full)


# --- records and verification ----------------------------------------------------------------


def test_record_has_the_published_format_and_verifies():
    record = sample_record()
    assert list(record) == [
        "algorithm",
        "title",
        "commitment",
        "entrants_digest",
        "seed",
        "seats",
        "entrants",
        "winners",
        "waiting",
    ]
    assert record["algorithm"] == ALGORITHM == "gonghui-draw-v1"
    assert record["commitment"] == commitment(GOLDEN_SEED)
    listed = "".join(f"B{i:06d} {2 if i % 5 == 0 else 1}\n" for i in range(1, 13))
    text = f"seats 3\n{listed}"
    assert record["entrants_digest"] == hashlib.sha256(text.encode()).hexdigest()
    assert record["seed"] == GOLDEN_SEED and record["seats"] == 3
    # listed by code, not by sign-up order, with the masked name and the divisor
    assert [row["code"] for row in record["entrants"]] == [f"B{i:06d}" for i in range(1, 13)]
    assert record["entrants"][4] == {"code": "B000005", "name": "王*", "weight_divisor": 2}
    assert len(record["winners"]) == 3 and len(record["waiting"]) == 9
    assert verify(record) == []
    # and it survives publication as JSON
    assert verify(json.loads(json.dumps(record, ensure_ascii=False))) == []


def test_wrong_seed_fails_verification():
    record = sample_record()
    record["seed"] = derived_seed("other", 0)
    problems = verify(record)
    assert any("承诺值与种子不符" in problem for problem in problems), problems
    assert any("中签名单不一致" in problem for problem in problems), problems


def test_tampered_commitment_fails_verification():
    record = sample_record()
    record["commitment"] = commitment(derived_seed("other", 1))
    assert len(verify(record)) == 1 and "承诺值与种子不符" in verify(record)[0]


def test_tampered_winners_name_the_first_differing_position():
    record = sample_record()
    record["winners"][1], record["winners"][2] = record["winners"][2], record["winners"][1]
    problems = verify(record)
    assert len(problems) == 1 and "中签名单不一致：第 2 位" in problems[0], problems

    record = sample_record()
    outsider = record["waiting"][0]
    record["winners"][2], record["waiting"][0] = outsider, record["winners"][2]
    problems = verify(record)
    assert any("中签名单不一致：第 3 位" in p for p in problems), problems
    assert any("候补名单不一致：第 1 位" in p for p in problems), problems


def test_tampered_waiting_list_fails_verification():
    record = sample_record()
    record["waiting"].pop()
    problems = verify(record)
    assert len(problems) == 1 and "候补名单不一致：第 9 位" in problems[0], problems


def test_tampered_entrants_fail_verification():
    record = sample_record()
    first = record["winners"][0]
    record["entrants"] = [row for row in record["entrants"] if row["code"] != first]
    assert any("中签名单不一致：第 1 位" in p for p in verify(record))

    record = sample_record()
    for row in record["entrants"]:
        if row["code"] == record["winners"][0]:
            row["weight_divisor"] = 1000  # a weight this small drops out of the winners
    assert any("中签名单不一致" in p for p in verify(record))

    record = sample_record()
    record["entrants"].append({"code": "B999999", "name": "钱*", "weight_divisor": 1})
    assert any("候补名单不一致" in p for p in verify(record))


# --- the entrant digest ------------------------------------------------------------------------


def test_entrants_digest_is_the_sha256_of_the_published_text():
    entrants = [Entrant("B000002", 2), Entrant("B000010"), Entrant("B000001")]
    text = "seats 2\nB000001 1\nB000002 2\nB000010 1\n"
    assert entrants_digest(2, entrants) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # one canonical order whatever order the entrants come in; every input counts
    assert entrants_digest(2, entrants[::-1]) == entrants_digest(2, entrants)
    assert entrants_digest(3, entrants) != entrants_digest(2, entrants)
    assert entrants_digest(2, [*entrants[:2], Entrant("B000001", 2)]) != entrants_digest(
        2, entrants
    )
    assert entrants_digest(0, []) == hashlib.sha256(b"seats 0\n").hexdigest()


@pytest.mark.parametrize("code", ["B1\nB2 1", "B1\r", "B\x00", "B\t1"])
def test_entrants_digest_refuses_a_code_that_could_write_two_lists_alike(code):
    with pytest.raises(ValueError, match="控制字符"):
        entrants_digest(1, [Entrant(code)])
    record = sample_record()
    record["entrants"][0]["code"] = code
    assert any("格式无效" in problem for problem in verify(record))


def rerank(record):
    """What a forger does after editing the entrants or the seed: the results made to agree."""
    entrants = [Entrant(row["code"], row["weight_divisor"]) for row in record["entrants"]]
    result = draw(record["seed"], entrants, record["seats"])
    record["winners"], record["waiting"] = result.winners, result.waiting
    return record


def forge(record):
    """... and every published value inside the record made to agree as well."""
    rerank(record)
    entrants = [Entrant(row["code"], row["weight_divisor"]) for row in record["entrants"]]
    record["commitment"] = commitment(record["seed"])
    record["entrants_digest"] = entrants_digest(record["seats"], entrants)
    return record


def weight_changed(record):
    # The last of the waiting list weighed down further: the ranking cannot change, so the
    # results alone never showed it (the defect this digest closes).
    last = record["waiting"][-1]
    for row in record["entrants"]:
        if row["code"] == last:
            row["weight_divisor"] += 5
    return record


def entrant_added(record):
    record["entrants"].append({"code": "B999999", "name": "钱*", "weight_divisor": 1})
    return rerank(record)


def entrant_removed(record):
    last = record["waiting"][-1]
    record["entrants"] = [row for row in record["entrants"] if row["code"] != last]
    return rerank(record)


def seed_changed(record):
    record["seed"] = derived_seed("another seed", 0)
    record["commitment"] = commitment(record["seed"])
    return rerank(record)


TAMPERINGS = [weight_changed, entrant_added, entrant_removed, seed_changed]


def test_a_weight_changed_below_the_results_fails_verification():
    genuine, record = sample_record(), weight_changed(sample_record())
    # the results still agree with the edited list ...
    assert rerank(json.loads(json.dumps(record))) == record
    assert (record["winners"], record["waiting"]) == (genuine["winners"], genuine["waiting"])
    # ... yet the list no longer matches the digest published at the close.
    problems = verify(record)
    assert len(problems) == 1 and "报名名单摘要与名单不符" in problems[0], problems


@pytest.mark.parametrize("tamper", [weight_changed, entrant_added, entrant_removed])
def test_a_changed_entrant_list_fails_against_its_own_digest(tamper):
    problems = verify(tamper(sample_record()))
    assert len(problems) == 1 and "报名名单摘要与名单不符" in problems[0], problems


@pytest.mark.parametrize("tamper", TAMPERINGS)
def test_a_forged_record_fails_against_the_values_published_before_the_draw(tamper):
    genuine = sample_record()
    published = (genuine["commitment"], genuine["entrants_digest"])
    assert verify(genuine, *published) == []
    forged = forge(tamper(sample_record()))
    assert verify(forged) == []  # it agrees with itself, so only the published values show it
    problems = verify(forged, *published)
    assert problems and all("与公布的不同" in problem for problem in problems), problems


def test_a_record_without_an_entrant_digest_fails_verification():
    record = sample_record()
    del record["entrants_digest"]
    assert any("报名名单摘要缺失" in problem for problem in verify(record))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(algorithm="gonghui-draw-v2"), "未知的算法"),
        (lambda r: r.update(seed="XYZ"), "种子"),
        (lambda r: r.update(seats=-1), "名额无效"),
        (lambda r: r.update(seats="3"), "名额无效"),
        (lambda r: r.pop("entrants"), "报名名单缺失"),
        (lambda r: r["entrants"].append({"code": "B000001", "weight_divisor": 1}), "重复"),
        (lambda r: r["entrants"][0].update(weight_divisor=0), "格式无效"),
        (lambda r: r["entrants"].append("B000099"), "格式无效"),
        (lambda r: r.pop("waiting"), "候补名单缺失"),
    ],
)
def test_malformed_records_give_problems_not_exceptions(change, message):
    record = sample_record()
    change(record)
    problems = verify(record)
    assert any(message in problem for problem in problems), problems


def test_a_record_that_is_not_an_object_gives_a_problem():
    assert verify([]) == ["记录不是 JSON 对象 / the record is not a JSON object"]


def test_algorithm_text_is_chinese_first_and_names_the_algorithm():
    assert ALGORITHM_TEXT.startswith("抽签算法 gonghui-draw-v1")
    assert "Draw algorithm gonghui-draw-v1" in ALGORITHM_TEXT
    assert ALGORITHM_TEXT.index("抽签") < ALGORITHM_TEXT.index("Draw algorithm")
    for term in ("HMAC-SHA256", "(h + 1)^d × 2^(256 × (D − d))", "2^256"):
        assert ALGORITHM_TEXT.count(term) == 2, term


# --- the downloadable program ----------------------------------------------------------------


def test_draw_py_imports_the_standard_library_only():
    tree = ast.parse(DRAW_PY.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            modules.add(node.module.split(".")[0])
    assert modules and modules <= set(sys.stdlib_module_names) | {"__future__"}, modules


def run_cli(arguments, cwd):
    return subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_cli_copied_alone_checks_a_good_record_and_rejects_a_tampered_one(tmp_path):
    # A worker's copy: draw.py alone in a folder, run in isolated mode.
    shutil.copy(DRAW_PY, tmp_path / "draw.py")
    good = sample_record()
    (tmp_path / "good.json").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    bad = sample_record()
    bad["winners"][0], bad["waiting"][0] = bad["waiting"][0], bad["winners"][0]
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")

    done = run_cli(["-I", "draw.py", "good.json"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "结果一致 / the draw checks out" in done.stdout
    assert commitment(GOLDEN_SEED) in done.stdout

    done = run_cli(["-I", "draw.py", "bad.json"], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "中签名单不一致：第 1 位" in done.stdout and "候补名单不一致：第 1 位" in done.stdout

    done = run_cli(["-I", "draw.py", "missing.json"], tmp_path)
    assert done.returncode == 1 and "无法读取记录" in done.stdout


def test_cli_runs_from_the_repository_as_a_file_and_as_a_module(tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(sample_record(), ensure_ascii=False), encoding="utf-8")
    root = DRAW_PY.parents[2]
    for arguments in (
        ["gonghui/culture/draw.py", str(path)],
        ["-m", "gonghui.culture.draw", str(path)],
    ):
        done = run_cli(arguments, root)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "结果一致" in done.stdout


def test_cli_compares_the_record_with_the_values_published_before_the_draw(tmp_path):
    shutil.copy(DRAW_PY, tmp_path / "draw.py")
    genuine = sample_record()
    published = ["--commitment", genuine["commitment"]]
    published += ["--entrants-digest", genuine["entrants_digest"]]
    (tmp_path / "good.json").write_text(json.dumps(genuine), encoding="utf-8")
    forged = forge(weight_changed(sample_record()))
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")

    done = run_cli(["-I", "draw.py", "good.json", *published], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert genuine["entrants_digest"] in done.stdout
    # self-consistent, so only the published values catch it
    assert run_cli(["-I", "draw.py", "forged.json"], tmp_path).returncode == 0
    done = run_cli(["-I", "draw.py", "forged.json", *published], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "记录中的报名名单摘要与公布的不同" in done.stdout


# --- the Python it needs -------------------------------------------------------------------------


def test_draw_py_states_the_python_it_needs():
    text = DRAW_PY.read_text(encoding="utf-8")
    assert draw_module.MINIMUM_PYTHON == (3, 6)
    assert "It needs Python 3.6 or later" in text


def test_draw_py_keeps_to_syntax_every_old_python_parses():
    """An interpreter too old to run it must still parse the whole file to reach the version
    check: the oldest grammar ``ast`` checks, and by hand what Python 2.7 does not parse
    (the real old interpreters run it in the test below, where they are installed)."""
    text = DRAW_PY.read_text(encoding="utf-8")
    assert text.startswith("# -*- coding: utf-8 -*-\n")  # Python 2 reads the source as ASCII
    tree = ast.parse(text, feature_version=(3, 4))  # no f-strings, variable annotations, ...
    for node in ast.walk(tree):
        assert not isinstance(
            node, ast.JoinedStr | ast.AnnAssign | ast.Nonlocal | ast.YieldFrom | ast.Starred
        ), ast.dump(node)
        if isinstance(node, ast.ImportFrom):
            assert node.module != "__future__", "a future import Python 3.6 may not know"
        if isinstance(node, ast.FunctionDef | ast.Lambda):
            arguments = node.args
            assert not arguments.kwonlyargs and not arguments.posonlyargs, node.lineno
            everyone = [*arguments.args, arguments.vararg, arguments.kwarg]
            assert all(a is None or a.annotation is None for a in everyone), node.lineno
        if isinstance(node, ast.FunctionDef):
            assert node.returns is None, node.lineno
        if isinstance(node, ast.Raise):
            assert node.cause is None, node.lineno
        if isinstance(node, ast.Dict):
            assert None not in node.keys, node.lineno  # {**mapping}
        if isinstance(node, ast.Call):
            assert all(k.arg is not None for k in node.keywords), node.lineno  # f(**mapping)
    # and the check comes before any import that an old Python lacks
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    check = next(n for n in tree.body if isinstance(n, ast.If))
    assert [a.name for a in imports[0].names] == ["sys"] and imports[0].lineno < check.lineno
    assert all(n.lineno > check.end_lineno for n in imports[1:])


def test_an_old_python_is_told_what_draw_py_needs_instead_of_a_traceback(tmp_path):
    """The check itself, run by this interpreter pretending to be 3.5 (the real old
    interpreters are in the next test, where they are installed)."""
    shutil.copy(DRAW_PY, tmp_path / "draw.py")
    pretend = (
        "import runpy, sys; sys.version_info = (3, 5, 10, 'final', 0); "
        "sys.argv = ['draw.py', 'record.json']; runpy.run_path('draw.py', run_name='__main__')"
    )
    done = run_cli(["-I", "-c", pretend], tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert "draw.py 需要 Python 3.6 或更高版本，当前是 Python 3.5" in done.stderr
    assert "draw.py needs Python 3.6 or later; this is Python 3.5" in done.stderr


def old_pythons():
    """Interpreters installed by pyenv on this machine (none on most: the test skips)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for folder in sorted(root.glob("[23].*")) if root.is_dir() else []:
        interpreter = folder / "bin" / "python"
        version = tuple(int(part) for part in folder.name.split(".")[:2] if part.isdigit())
        if interpreter.exists() and len(version) == 2:
            found.append(pytest.param(interpreter, version, id=folder.name))
    return found or [pytest.param(None, None, marks=pytest.mark.skip("no pyenv Pythons"))]


@pytest.mark.parametrize(("interpreter", "version"), old_pythons())
def test_draw_py_on_every_installed_python(interpreter, version, tmp_path):
    shutil.copy(DRAW_PY, tmp_path / "draw.py")
    (tmp_path / "good.json").write_text(json.dumps(sample_record()), encoding="utf-8")
    tampered = weight_changed(sample_record())
    (tmp_path / "bad.json").write_text(json.dumps(tampered), encoding="utf-8")

    def run(name):
        return subprocess.run(  # noqa: S603 - an installed interpreter and our own file
            [str(interpreter), "draw.py", name],
            cwd=tmp_path,
            capture_output=True,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
            timeout=60,
            check=False,
        )

    good, bad = run("good.json"), run("bad.json")
    if version < draw_module.MINIMUM_PYTHON:
        for done in (good, bad):
            message = done.stderr.decode("utf-8")
            assert done.returncode == 2, message
            assert "Traceback" not in message and "SyntaxError" not in message
            assert f"needs Python 3.6 or later; this is Python {version[0]}.{version[1]}" in message
            assert "需要 Python 3.6 或更高版本" in message
    else:
        assert good.returncode == 0, good.stdout + good.stderr
        assert "结果一致" in good.stdout.decode("utf-8")
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert "报名名单摘要与名单不符" in bad.stdout.decode("utf-8")
