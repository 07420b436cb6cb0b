"""Alert rules: `when` expressions over a run's facts, evaluated with simpleeval.

Rules are compiled when the config loads, so a typo fails loudly there; at
evaluation time a name the run does not have (a missing metric) means no match.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import simpleeval

from opsctl.errors import InvalidInput
from opsctl.scrub import scrub

IMPACT = {"CRITICAL": "blocking", "ERROR": "blocking", "WARNING": "warning", "INFO": "info"}
# the runbook's response targets: CRITICAL is P0 (immediate), ERROR P1 (30 min), WARNING P2 (2 h), INFO P3 (24 h)
PRIORITY = {"CRITICAL": "P0", "ERROR": "P1", "WARNING": "P2", "INFO": "P3"}
FUNCTIONS = {"abs": abs, "min": min, "max": max, "round": round, "int": int, "float": float, "str": str, "len": len}
_KEYS = {"name", "when", "severity", "message", "for", "cooldown"}
# the job runbook's form (`alerts:`): condition instead of when, and where the alert goes
_ALERT_KEYS = {"name", "condition", "severity", "message", "channel", "mention", "for", "cooldown"}
_NODES = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Constant,
          ast.Name, ast.Load, ast.Tuple, ast.List, ast.Set, ast.Call, ast.And, ast.Or)
_OPERATORS = tuple(simpleeval.DEFAULT_OPERATORS)
# && and || outside string literals
_ALIASES = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|&&|\|\|""")
_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


@dataclass(frozen=True)
class Alert:
    rule: str
    severity: str  # CRITICAL | WARNING | INFO
    impact: str  # blocking | warning | info
    message: str


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    severity: str
    message: str
    tree: ast.Expression = field(repr=False, compare=False)
    channel: str | None = None  # the Slack channel this rule's alert goes to
    mention: str | None = None  # e.g. "@data-team"
    for_seconds: float = 0.0  # the condition must hold on every run in this window
    cooldown_seconds: float = 0.0  # at least this long between two alerts of this rule
    seed: bool = False  # written in the job runbook's form (`alerts:`): its status words apply

    @property
    def impact(self) -> str:
        return IMPACT[self.severity]

    @property
    def priority(self) -> str:
        return PRIORITY[self.severity]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """False, not an error, when the expression cannot be evaluated for these facts."""
        return holds(self.when, self.tree, runbook_facts(facts) if self.seed else facts)

    def render(self, facts: Mapping[str, Any]) -> str:
        values = {"rule": self.name, **facts}
        values.setdefault("job_name", facts.get("job"))  # the job runbook writes {job_name}
        return scrub(render(self.message, values))


def load_rules(config: Iterable[Mapping[str, Any]] | None, alerts: Iterable[Mapping[str, Any]] | None = None
               ) -> list[Rule]:
    """`rules:` (name, when, ...) and the job runbook's `alerts:` (name, condition, channel, mention, ...)."""
    rules: list[Rule] = []
    entries = [(raw, index, False) for index, raw in enumerate(config or [])]
    entries += [(raw, index, True) for index, raw in enumerate(alerts or [])]
    for raw, index, seed in entries:
        rule = compile_alert(raw, index) if seed else compile_rule(raw, index)
        if any(r.name == rule.name for r in rules):
            raise InvalidInput(f"rule {rule.name!r}: defined twice")
        rules.append(rule)
    return rules


def compile_alert(raw: Mapping[str, Any], index: int = 0) -> Rule:
    """One entry of `alerts:` as the job runbook writes it."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"alert #{index + 1}: must be a mapping with name, condition, severity, channel, message")
    label = f"alert {raw.get('name')!r}" if raw.get("name") else f"alert #{index + 1}"
    if unknown := set(raw) - _ALERT_KEYS:
        raise InvalidInput(f"{label}: unknown keys {', '.join(sorted(unknown))}; valid: {', '.join(sorted(_ALERT_KEYS))}")
    if "condition" not in raw:
        raise InvalidInput(f"{label}: 'condition' is required")
    fields = {"when" if k == "condition" else k: v for k, v in raw.items() if k not in ("channel", "mention")}
    rule = compile_rule(fields, index, label=label)
    extra = {}
    for key in ("channel", "mention"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise InvalidInput(f"{label}: '{key}' must be text, e.g. \"#data-alerts\" / \"@data-team\"")
            extra[key] = raw[key].strip()
    from dataclasses import replace

    return replace(rule, seed=True, **extra)


# the job runbook says `status == 'failed'`; opsctl run reports SUCCESS / ERROR / TIMEOUT
RUNBOOK_STATUS = {"SUCCESS": "success", "ERROR": "failed", "TIMEOUT": "failed"}  # a timeout is a failure


def runbook_facts(facts: Mapping[str, Any]) -> dict:
    values = dict(facts)
    status = values.get("status")
    if isinstance(status, str):
        values["status"] = RUNBOOK_STATUS.get(status, status.lower())
    values.setdefault("job_name", values.get("job"))
    return values


def compile_rule(raw: Mapping[str, Any], index: int = 0, *, label: str | None = None) -> Rule:
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"rule #{index + 1}: must be a mapping with name, when, severity, message")
    name = raw.get("name")
    label = label or (f"rule {name!r}" if isinstance(name, str) and name else f"rule #{index + 1}")
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{label}: 'name' is required")
    if unknown := set(raw) - _KEYS:
        raise InvalidInput(f"{label}: unknown keys {', '.join(sorted(unknown))}; valid: {', '.join(sorted(_KEYS))}")
    when = raw.get("when")
    if not isinstance(when, str) or not when.strip():
        raise InvalidInput(f"{label}: 'when' must be a non-empty expression")
    severity = str(raw.get("severity", "")).upper()
    if severity not in IMPACT:
        raise InvalidInput(f"{label}: invalid severity {raw.get('severity')!r}; valid: {', '.join(IMPACT)}")
    message = raw.get("message") or "Rule {rule} matched for job {job}"
    if not isinstance(message, str):
        raise InvalidInput(f"{label}: 'message' must be text")
    expression, tree = compile_expression(when, label)
    timing = {}
    for key, attr in (("for", "for_seconds"), ("cooldown", "cooldown_seconds")):
        if raw.get(key) is not None:
            from opsctl.durations import parse_duration

            value = raw[key]
            timing[attr] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else parse_duration(str(value), f"{label}: {key}")
    return Rule(name, expression, severity, message, tree, **timing)


def compile_expression(when: str, label: str, extra_nodes: tuple = ()) -> tuple[str, ast.Expression]:
    """Check an expression once (InvalidInput naming `label`); `holds` evaluates it later.

    extra_nodes: syntax allowed beyond the rules' (probes add subscripts: body["checks"]["db"])."""
    expression = _ALIASES.sub(lambda m: m.group(1) or (" and " if m.group() == "&&" else " or "), when).strip()
    try:
        tree = ast.parse(expression, mode="eval")
        _check(tree, extra_nodes)
    except (SyntaxError, ValueError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise InvalidInput(f"{label}: invalid expression {when!r}: {reason}") from None
    return expression, tree


def holds(expression: str, tree: ast.Expression, names: Mapping[str, Any]) -> bool:
    """False, not an error, when the expression cannot be evaluated for these names."""
    evaluator = simpleeval.EvalWithCompoundTypes(names=dict(names), functions=dict(FUNCTIONS))  # it adds to the dict
    try:
        return bool(evaluator.eval(expression, previously_parsed=tree.body))
    except (simpleeval.InvalidExpression, TypeError, ValueError, ArithmeticError, LookupError, AttributeError):
        return False


def evaluate(rules: Iterable[Rule], facts: Mapping[str, Any]) -> list[Alert]:
    return [Alert(r.name, r.severity, r.impact, r.render(facts)) for r in rules if r.matches(facts)]


def render(template: str, values: Mapping[str, Any]) -> str:
    """`{name}` / `{name:.1f}` placeholders; unknown names are left as written."""

    def one(match: re.Match) -> str:
        key, spec = match.group(1), match.group(2) or ""
        if key not in values:
            return match.group()
        try:
            return format(values[key], spec)
        except (TypeError, ValueError):
            return str(values[key])

    return _PLACEHOLDER.sub(one, template)


def _check(tree: ast.Expression, extra_nodes: tuple = ()) -> None:
    """Reject what simpleeval would only refuse at evaluation time."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.operator, ast.unaryop, ast.cmpop)):
            if not isinstance(node, _OPERATORS):
                raise ValueError(f"operator {type(node).__name__} is not allowed")
        elif not isinstance(node, _NODES + tuple(extra_nodes)):
            raise ValueError(f"{type(node).__name__} is not allowed")
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ValueError(f"only calls to {', '.join(FUNCTIONS)} are allowed")
