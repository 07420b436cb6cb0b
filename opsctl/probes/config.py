"""The `probes:` section of opsctl.yaml, checked on load (a broken probe fails naming it).

    probes:
      - name: api-health
        url: https://api.example.com/health
        expect_status: 200          # or a list: [200, 204]
        max_ms: 800                 # slower is a failure
        when: 'status == "healthy" and body["checks"]["db"] == "ok"'   # on the JSON body
        failures: 3                 # consecutive failures before an error is raised
        successes: 2                # consecutive successes before it is resolved
        timeout: 5s
        service: Client API         # the error's service (default: the probe's name)
        impact: blocking            # default blocking
        project: AU Real Estate Research
        auth_env: HEALTH_TOKEN      # Authorization: Bearer $HEALTH_TOKEN (auth_header / auth_scheme to change)
        method: GET

In `when`, the JSON body's top-level keys are names, `body` is the whole body, and
`status_code` / `response_ms` are the HTTP status and the time taken.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..errors import ConfigInvalid, InvalidInput

_KEYS = {"name", "url", "method", "expect_status", "max_ms", "when", "failures", "successes", "timeout", "service",
         "impact", "project", "auth_env", "auth_header", "auth_scheme", "options"}


@dataclass
class Probe:
    name: str
    url: str
    method: str = "GET"
    expect_status: tuple[int, ...] = (200,)
    max_ms: float | None = None
    when: str | None = None
    tree: ast.Expression | None = field(default=None, repr=False)
    failures: int = 3
    successes: int = 2
    timeout: float = 10.0
    service: str = ""
    impact: str = "blocking"
    project: str | None = None
    auth_env: str | None = None
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    options: list[str] = field(default_factory=list)


def load_probes(config: dict, source=None) -> list[Probe]:
    raw = config.get("probes") or []
    where = source or "opsctl.yaml"
    if isinstance(raw, dict):  # also accepted: a mapping name -> settings
        raw = [dict(settings or {}, name=name) for name, settings in raw.items()]
    if not isinstance(raw, list):
        raise ConfigInvalid(f"{where}: probes: expected a list of probes")
    probes: list[Probe] = []
    for index, item in enumerate(raw):
        try:
            probe = compile_probe(item, index)
        except InvalidInput as exc:
            raise ConfigInvalid(f"{where}: {exc.message}") from None
        if any(p.name == probe.name for p in probes):
            raise ConfigInvalid(f"{where}: probe {probe.name!r} is defined twice")
        probes.append(probe)
    return probes


def compile_probe(raw, index: int = 0) -> Probe:
    if not isinstance(raw, dict):
        raise InvalidInput(f"probe #{index + 1}: must be a mapping with at least name and url")
    name = raw.get("name")
    label = f"probe {name!r}" if name else f"probe #{index + 1}"
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"{label}: 'name' is required")
    if unknown := sorted(set(raw) - _KEYS):
        raise InvalidInput(f"{label}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(_KEYS))}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{label}: 'url' must be an http:// or https:// URL")
    probe = Probe(name.strip(), url, service=str(raw.get("service") or name).strip())
    try:
        _fill(probe, raw)
    except InvalidInput as exc:
        raise InvalidInput(f"{label}: {exc.message}") from None
    if raw.get("when"):
        from ..jobs.rules import compile_expression

        probe.when, probe.tree = compile_expression(str(raw["when"]), label, (ast.Subscript, ast.Attribute, ast.Slice))
        private = [n.attr for n in ast.walk(probe.tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")]
        if private:
            raise InvalidInput(f"{label}: invalid expression {raw['when']!r}: attribute {private[0]} is not allowed")
    return probe


def _fill(probe: Probe, raw: dict) -> None:
    from ..jobs.config import seconds
    from ..vocab import impact

    if "expect_status" in raw:
        codes = raw["expect_status"] if isinstance(raw["expect_status"], list) else [raw["expect_status"]]
        if not codes or not all(isinstance(c, int) and 100 <= c <= 599 for c in codes):
            raise InvalidInput("expect_status must be an HTTP status or a list of them")
        probe.expect_status = tuple(codes)
    if raw.get("max_ms") is not None:
        probe.max_ms = _positive(raw["max_ms"], "max_ms")
    for key in ("failures", "successes"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(f"{key} must be a whole number of at least 1")
            setattr(probe, key, value)
    if "timeout" in raw:
        probe.timeout = seconds(raw["timeout"], "timeout") or 10.0
    if "impact" in raw:
        probe.impact = impact(str(raw["impact"]))
    for key in ("project", "auth_env", "auth_header", "auth_scheme"):
        if raw.get(key) is not None:
            setattr(probe, key, str(raw[key]))
    probe.method = str(raw.get("method", "GET")).upper()
    if raw.get("options"):
        probe.options = [str(o) for o in raw["options"]] if isinstance(raw["options"], list) else [str(raw["options"])]


def _positive(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidInput(f"{what} must be a positive number")
    return float(value)
