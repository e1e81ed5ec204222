"""``make run`` installs the runtime dependencies only: code outside the tests must not import
a development-only package (the test suite, which has them all, would not notice)."""

import ast
from pathlib import Path

import gonghui

DEV_ONLY = {"pytest", "factory", "hypothesis", "playwright", "django_stubs_ext", "mypy"}
ROOT = Path(gonghui.__file__).parent


def _runtime_modules():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or parts[0] in {"testing"} or path.name == "conftest.py":
            continue
        yield path


def test_runtime_code_imports_no_development_package():
    offenders = []
    for path in _runtime_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in DEV_ONLY
            ]
    assert not offenders, offenders
