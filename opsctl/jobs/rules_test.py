"""`opsctl rules test FILE`: check alert rules against sample runs, like `promtool test rules`.

    rule_files: [opsctl.yaml]      # where the rules are; default: the opsctl.yaml in use.
                                   # (or put `rules:` / `alerts:` in this file itself)
    tests:
      - name: a job that failed after three retries alerts
        job: nightly               # {job} / {job_name} in messages
        interval: 1m               # time between two runs (for `for:` and `cooldown:`)
        runs:                      # the facts of each run, in order
          - {status: failed, retries: 1}
          - {status: failed, retries: 3}
        expect:
          - run: 1                 # 1-based
            alerts: []
          - run: 2
            alerts:
              - {name: job_failed, message: "Job nightly failed", severity: ERROR}   # or just: job_failed

Every run's alerts are compared with the expectation given for that run (runs without one are not
checked). Nothing is written to the ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import InvalidInput

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _load_yaml(path: Path, what: str) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a mapping with tests: (and rule_files: or alerts:/rules:)")
    return data


def load_rules_for(spec: dict, path: Path, default_config: Path | None) -> list:
    from . import rules as compiler

    sources = []
    if spec.get("rules") or spec.get("alerts"):
        sources.append((spec, path))
    for name in spec.get("rule_files") or []:
        file = (path.parent / str(name)).resolve()
        sources.append((_load_yaml(file, "rule file"), file))
    if not sources and default_config is not None and default_config.is_file():
        sources.append((_load_yaml(default_config, "config"), default_config))
    found = []
    for data, where in sources:
        try:
            found += compiler.load_rules(data.get("rules"), data.get("alerts"))
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}") from None
    if not found:
        raise InvalidInput(f"{path}: no rules to test; add rule_files: [opsctl.yaml] or alerts:/rules: to it")
    return found


def _expected(raw, where: str) -> dict[str, dict]:
    out = {}
    for item in raw or []:
        if isinstance(item, str):
            out[item] = {}
        elif isinstance(item, dict) and item.get("name"):
            out[str(item["name"])] = {k: str(v) for k, v in item.items() if k in ("message", "severity")}
        else:
            raise InvalidInput(f"{where}: each expected alert is a rule name or {{name, message, severity}}")
    return out


def run_tests(path: Path, *, default_config: Path | None = None) -> dict:
    from ..durations import parse_duration
    from .rule_timing import decide

    spec = _load_yaml(path, "test file")
    rules = load_rules_for(spec, path, default_config)
    tests = spec.get("tests")
    if not isinstance(tests, list) or not tests:
        raise InvalidInput(f"{path}: tests: expected a list of tests (name, runs, expect)")
    results = []
    for number, test in enumerate(tests, 1):
        if not isinstance(test, dict) or not isinstance(test.get("runs"), list):
            raise InvalidInput(f"{path}: tests[{number}]: needs runs: (a list of facts per run) and expect:")
        name = str(test.get("name") or f"test {number}")
        job = str(test.get("job") or "job")
        step = parse_duration(str(test.get("interval", "1m")), f"tests[{number}].interval")
        expect = {}
        for item in test.get("expect") or []:
            if not isinstance(item, dict) or not isinstance(item.get("run"), int) or \
                    not 1 <= item["run"] <= len(test["runs"]):
                raise InvalidInput(f"{path}: tests[{number}].expect: each entry needs run: 1..{len(test['runs'])}")
            expect[item["run"]] = _expected(item.get("alerts"), f"{path}: tests[{number}].expect")
        samples: dict[str, list] = {r.name: [] for r in rules}
        last: dict[str, datetime] = {}
        failures = []
        for index, facts in enumerate(test["runs"], 1):
            if not isinstance(facts, dict):
                raise InvalidInput(f"{path}: tests[{number}].runs[{index}]: expected a mapping of facts")
            at = T0 + timedelta(seconds=step * (index - 1))
            values = {"job": job, **facts}
            got = {}
            for rule in rules:
                held = rule.matches(values)
                samples[rule.name].append((at, held))
                if held and decide(rule, samples[rule.name], at, last.get(rule.name)):
                    last[rule.name] = at
                    got[rule.name] = {"message": rule.render(values), "severity": rule.severity}
            if index in expect:
                wanted = expect[index]
                ok = set(got) == set(wanted) and all(
                    got[n].get(k) == v for n, fields in wanted.items() if n in got for k, v in fields.items())
                if not ok:
                    failures.append({"run": index, "expected": wanted, "got": got})
        results.append({"name": name, "ok": not failures, "failures": failures})
    return {"ok": all(r["ok"] for r in results), "file": str(path), "rules": [r.name for r in rules],
            "tests": results, "passed": sum(r["ok"] for r in results), "failed": sum(not r["ok"] for r in results)}


def diff_text(result: dict) -> str:
    lines = []
    for test in result["tests"]:
        if test["ok"]:
            continue
        lines.append(f"FAILED {test['name']}")
        for failure in test["failures"]:
            lines.append(f"  run {failure['run']}:")
            for name in sorted(set(failure["expected"]) | set(failure["got"])):
                want, got = failure["expected"].get(name), failure["got"].get(name)
                if want is None:
                    lines.append(f"    + {name} (not expected): {got['message']!r}")
                elif got is None:
                    lines.append(f"    - {name} (expected, did not fire)")
                elif any(got.get(k) != v for k, v in want.items()):
                    lines.append(f"    ~ {name}: expected {want}, got {{'message': {got['message']!r}, "
                                 f"'severity': {got['severity']!r}}}")
    return "\n".join(lines)
