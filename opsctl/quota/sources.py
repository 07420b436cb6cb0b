"""Where usage numbers come from: the `usage:` entry of a service in integrations.md.

    usage: {type: http, url: "https://api.x.com/v1/usage", auth_env: X_API_KEY,   # GET a JSON endpoint
            used: data.used, limit: data.limit, remaining: data.remaining, resets_at: data.reset}
    usage: {type: headers, url: "https://api.x.com/v1/ping", auth_env: X_API_KEY}  # X-RateLimit-* of a probe request
    usage: {type: command, command: ["./bin/usage", "--json"], used: used, limit: limit}  # prints JSON; no shell
    usage: {type: manual}                                   # numbers come from `opsctl quota record`

`used`/`limit`/`remaining`/`resets_at` are dotted JSON paths (`data.items.0.count`) or, for
`limit`, a plain number (the plan's limit, when the endpoint only reports usage). Any two of
used/limit/remaining give the third. The auth header is `Authorization: Bearer $X_API_KEY`
unless `auth_header` / `auth_scheme` say otherwise; the secret is read from the environment
(or .env) and never stored or shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput

TYPES = ("http", "headers", "command", "manual")
DEFAULT_TIMEOUT = 10.0


class CheckFailed(Exception):
    """The source did not give usable numbers; the message names the problem."""


@dataclass
class Reading:
    used: float | None
    limit: float | None
    remaining: float | None
    resets_at: str | None  # ISO timestamp
    source: str

    def complete(self) -> "Reading":
        """Fill the third of used/limit/remaining from the other two; CheckFailed without a limit."""
        used, limit, remaining = self.used, self.limit, self.remaining
        if limit is None and used is not None and remaining is not None:
            limit = used + remaining
        if used is None and limit is not None and remaining is not None:
            used = limit - remaining
        if remaining is None and used is not None and limit is not None:
            remaining = max(0.0, limit - used)
        if used is None or not limit:
            raise CheckFailed("the source gave no usable used/limit numbers (need two of used, limit, remaining)")
        return Reading(used, limit, remaining, self.resets_at, self.source)


def check_spec(spec) -> dict:
    if not isinstance(spec, dict):
        raise InvalidInput("usage must be a mapping with a type: " + ", ".join(TYPES))
    kind = spec.get("type") or ("http" if spec.get("url") else "command" if spec.get("command") else None)
    if kind not in TYPES:
        raise InvalidInput(f"invalid usage type {spec.get('type')!r}; valid: {', '.join(TYPES)}")
    if kind in ("http", "headers") and not spec.get("url"):
        raise InvalidInput(f"usage type {kind} needs a url")
    if kind == "command" and not spec.get("command"):
        raise InvalidInput("usage type command needs a command (a list, or a string split like a shell would)")
    return dict(spec, type=kind)


def read(spec: dict, env, timeout: float | None = None) -> Reading:
    """Fetch one reading (runs in a worker thread: no ledger access here)."""
    timeout = float(spec.get("timeout") or timeout or DEFAULT_TIMEOUT)
    kind = spec["type"]
    if kind == "http":
        return _from_json(_http(spec, env, timeout).json(), spec, "http")
    if kind == "headers":
        return _from_headers(_http(spec, env, timeout), spec)
    if kind == "command":
        return _from_json(_command(spec, timeout), spec, "command")
    raise CheckFailed("no reading recorded yet; record one with `opsctl quota record SERVICE --used N --limit M`")


def _http(spec: dict, env, timeout: float):
    from ..probes.http import Failure, fetch

    headers = {}
    if spec.get("auth_env"):
        secret = env(spec["auth_env"])
        if not secret:
            raise CheckFailed(f"{spec['auth_env']} is not set; put the credential in the environment or .env")
        scheme = spec.get("auth_scheme", "Bearer")
        headers[spec.get("auth_header", "Authorization")] = f"{scheme} {secret}".strip()
    try:
        response = fetch(str(spec["url"]), method=spec.get("method", "GET"), headers=headers, timeout=timeout)
    except Failure as failure:
        raise CheckFailed(f"usage endpoint: {failure.problem}") from None
    if response.status in (401, 403):
        raise CheckFailed(f"usage endpoint answered HTTP {response.status}: the credential was rejected")
    if not 200 <= response.status < 300:
        raise CheckFailed(f"usage endpoint answered HTTP {response.status}")
    return response


def _command(spec: dict, timeout: float):
    import json
    import os
    import shlex
    import signal
    import subprocess

    from ..childenv import child_env

    argv = spec["command"] if isinstance(spec["command"], list) else shlex.split(str(spec["command"]))
    try:
        proc = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env=child_env())
    except OSError as exc:
        raise CheckFailed(f"usage command cannot run: {exc.strerror or exc} ({argv[0]})") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: no orphan keeps running
        proc.communicate()
        raise CheckFailed(f"usage command did not finish within {timeout:g}s") from None
    done = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
    if done.returncode != 0:
        from ..scrub import scrub

        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        said = scrub(lines[-1])[:200] if lines else ""
        raise CheckFailed(f"usage command exited with {done.returncode}" + (f": {said}" if said else ""))
    try:
        return json.loads(done.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise CheckFailed(f"usage command did not print JSON: {done.stdout[:60].decode('utf-8', 'replace')!r}") from None


def _from_json(data, spec: dict, source: str) -> Reading:
    if not isinstance(data, (dict, list)):
        raise CheckFailed(f"expected a JSON object, got {str(data)[:40]!r}")
    values = {}
    for key in ("used", "limit", "remaining"):
        given = spec.get(key, key)  # by default the number sits under its own name
        if isinstance(given, (int, float)) and not isinstance(given, bool):
            values[key] = float(given)
        else:
            values[key] = _number(data, str(given), key, required=key in spec)
    resets = dig(data, spec["resets_at"]) if spec.get("resets_at") else None
    return Reading(values["used"], values["limit"], values["remaining"], moment(resets), source).complete()


def _from_headers(response, spec: dict) -> Reading:
    names = {"limit": spec.get("limit_header", "x-ratelimit-limit"),
             "remaining": spec.get("remaining_header", "x-ratelimit-remaining"),
             "reset": spec.get("reset_header", "x-ratelimit-reset")}
    found = {key: response.headers.get(name.lower()) for key, name in names.items()}
    if found["limit"] is None or found["remaining"] is None:
        raise CheckFailed(f"the response has no {names['limit']} / {names['remaining']} headers")
    try:
        limit, remaining = float(found["limit"]), float(found["remaining"])
    except ValueError:
        raise CheckFailed(f"rate-limit headers are not numbers: {found['limit']!r} / {found['remaining']!r}") from None
    return Reading(None, limit, remaining, moment(found["reset"]), "headers").complete()


def _number(data, path: str, key: str, required: bool) -> float | None:
    value = dig(data, path, required=required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CheckFailed(f"{key} at {path!r} is not a number: {str(value)[:40]!r}")
    try:
        return float(value)
    except ValueError:
        raise CheckFailed(f"{key} at {path!r} is not a number: {value!r}") from None


def dig(data, path: str, required: bool = False):
    """`a.b.0.c` (or `a.b[0].c`, `$.a`) inside parsed JSON; None (or CheckFailed) when absent."""
    current = data
    for part in str(path).replace("[", ".").replace("]", "").removeprefix("$.").split("."):
        if part == "":
            continue
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            if required:
                raise CheckFailed(f"the response has no {path!r}")
            return None
    return current


def moment(value) -> str | None:
    """An ISO date/time, or epoch seconds (as rate-limit headers give), as ISO UTC; None if unreadable."""
    if value in (None, ""):
        return None
    from datetime import datetime, timezone

    from ..clock import parse_iso, to_iso

    try:
        number = float(value)
    except (TypeError, ValueError):
        try:
            return to_iso(parse_iso(str(value)))
        except ValueError:
            return None
    if number > 1e9:  # epoch seconds; smaller numbers are "seconds from now" in some APIs
        return to_iso(datetime.fromtimestamp(number, timezone.utc))
    from datetime import timedelta

    from ..clock import now

    return to_iso(now() + timedelta(seconds=number))
