"""`opsctl doctor`: a list of small checks, each saying what is wrong and how to fix it.

A check is a function `check(ctx) -> list[Finding]` (empty: all well) registered with
`@check("name")`; other packages add theirs the same way (or append to `CHECKS`):

    from opsctl.doctor import Finding, check

    @check("slack app")
    def slack_app(ctx):
        return [] if ... else [Finding("slack app", "SLACK_APP_TOKEN is not set", "set it in .env")]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable


@dataclass
class Finding:
    check: str
    problem: str
    fix: str

    def line(self) -> str:
        return f"{self.check}: {self.problem} — fix: {self.fix}"


@dataclass
class Note:
    """What a check found when all is well (shown, not a problem)."""

    check: str
    detail: str


CHECKS: list[tuple[str, Callable]] = []


def check(name: str):
    def register(fn: Callable) -> Callable:
        CHECKS.append((name, fn))
        return fn

    return register


def run(ctx=None) -> dict:
    """Run every check; a check that crashes is itself a finding (doctor never dies halfway)."""
    from .context import doctor_context

    ctx = ctx or doctor_context()
    problems: list[Finding] = []
    results = []
    for name, fn in CHECKS:
        try:
            found = fn(ctx) or []
        except Exception as exc:  # noqa: BLE001 - report it and go on with the other checks
            from ..scrub import scrub

            found = [Finding(name, scrub(f"the check failed: {type(exc).__name__}: {exc}"), "run with --debug")]
        notes = [f for f in found if isinstance(f, Note)]
        bad = [f for f in found if isinstance(f, Finding)]
        problems += bad
        results.append({"check": name, "ok": not bad, "notes": [n.detail for n in notes],
                        "problems": [asdict(f) for f in bad]})
    return {"ok": not problems, "checks": results, "problems": [asdict(f) for f in problems]}


from . import checks  # noqa: E402,F401 - the built-in checks register first, on import
