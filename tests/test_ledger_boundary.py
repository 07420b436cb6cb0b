"""SQL lives in `opsctl/ledger/` only: no other module runs a statement or holds SQL text.

Read from the syntax tree, not the raw text: comments and docstrings are prose and may name
`UPDATE … SET` to explain a design; code calling `.execute(` or a string that reads as a
statement (uppercase keywords in SQL's shape) is what breaks the boundary.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "opsctl"
EXEMPT = {PACKAGE / "ledger"}  # the one home of SQL
RUNS_SQL = {"execute", "executemany", "executescript"}
# Uppercase keywords in the shape of a statement or clause; prose ("select from the list") does not match.
SQL = re.compile(
    r"\bSELECT\s+(?:DISTINCT\s+)?(?:\*|\d|\w+\s*\()|\bSELECT\b[^;]*?\bFROM\s+\w+"
    r"|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\s+\w+"
    r"|\b(?:CREATE|DROP|ALTER)\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bPRAGMA\s+\w+"
    r"|\bWHERE\s+[\w.]+(?:\([\w.]*\))?\s*(?:=|!=|<>|<=|>=|<|>|\bIN\b|\bIS\b|\bLIKE\b)"
    r"|\bON\s+CONFLICT\b"
)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _texts(tree: ast.AST):
    """(line, text) of every string in code: f-strings joined, their {fields} read as `?`."""
    skip = _docstrings(tree)
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings.update(id(part) for part in node.values)
            yield node.lineno, "".join(part.value if isinstance(part, ast.Constant) else "?" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip | inside_fstrings:
            yield node.lineno, node.value


def violations(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [f"line {node.lineno}: .{node.func.attr}(" for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL]
    found += [f"line {line}: SQL {match.group(0)!r}" for line, text in _texts(tree)
              if (match := SQL.search(text))]
    return found


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if not any(path.is_relative_to(exempt) for exempt in EXEMPT):
            yield path


MODULES = list(_modules())


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(REPO)) for p in MODULES])
def test_no_sql_outside_ledger(path):
    found = violations(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(REPO)} holds SQL; move it to a query module in opsctl/ledger/: {found}"


def test_the_scan_covers_the_package():
    names = {str(p.relative_to(PACKAGE)) for p in MODULES}
    assert {"lifecycle.py", "escalation/tick.py", "probes/run.py", "inventory/review.py", "reports/stats.py"} <= names
    assert not any(name.startswith("ledger/") for name in names)


@pytest.mark.parametrize("source", [
    'conn.execute("SELECT 1")',
    'ctx.conn.executemany(sql, rows)',
    'conn.executescript(script)',
    'DUE = ("SELECT * FROM requests WHERE status = \'deferred\'"\n       " ORDER BY until LIMIT ?")',
    'sql = f"SELECT COUNT({column}) FROM errors"',
    'q = "INSERT INTO kv (key, value) VALUES (?, ?)"',
    'q = "UPDATE errors SET flapping = ? WHERE id = ?"',
    'q = "DELETE FROM runs"',
    'q = "PRAGMA user_version"',
    'where = " WHERE lower(service) = ?"',
    'where = f"WHERE id IN ({marks})"',
    'clause = " ON CONFLICT (key) DO NOTHING"',
    'def f():\n    x = 1\n    "SELECT * FROM errors"',  # a string after the first statement is not a docstring
])
def test_the_scan_finds_sql_in_code(source):
    assert violations(source)


@pytest.mark.parametrize("source", [
    '"""Claimed with a conditional UPDATE errors SET … WHERE next_escalation_at = <as read>."""',
    'def claim():\n    """SELECT * FROM errors WHERE id = ? would race; the claim is a compare-and-set."""',
    '# conn.execute("SELECT 1") in a comment\nx = 1',
    'help = "Select from the list; update the settings, then delete from disk."',
    'pool.submit(check, probe)',
    'message = f"where {name} is set, select one"',
    'title = "Updates set for Monday"',
    'note = "SELECT statements are the reports\' business"',
])
def test_the_scan_leaves_prose_and_other_calls_alone(source):
    assert violations(source) == []
