"""`opsctl integrations add`: append a row to the table (when a request is approved and integrated).

The file is edited in place — only one line is inserted after the table's last
row, the rest of the document is kept byte for byte — under an OS lock and
written atomically (temp file + rename), so two agents adding at once both land.
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

from .. import clock
from ..context import Context, ensure
from ..errors import InvalidInput
from .document import COLUMNS, HEADERS, fold, parse

TEMPLATE = """# Integrations

Every external service we depend on, its limits, where its credentials live, how its usage is
watched and what we fall back to. `opsctl integrations check` reviews this table;
`opsctl quota check` reads the usage sources in the YAML block below.

| {headers} |
|{rule}|

```yaml
services: {{}}
```
"""


def add_integration(service: str, *, tier: str = "", limits: str = "", credential: str = "", monitoring: str = "",
                    backup: str = "", request: str | None = None, ctx: Context | None = None) -> dict:
    from ..api.inputs import text
    from . import locate

    values = {"service": text("service", service), "tier": tier, "limits": limits, "credential": credential,
              "monitoring": monitoring, "backup": backup}
    for key, value in values.items():
        value = (value or "").strip()
        if "\n" in value or "\r" in value:
            raise InvalidInput(f"--{key} must be one line")
        values[key] = cell(value)
    ctx = ensure(ctx)
    _ = ctx.conn  # a broken ledger fails here, before the document is touched
    if request:  # everything is checked before a byte is written
        _check_request(ctx, request)
    path = locate(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    locks = ctx.settings.home / "locks"
    locks.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(os.open(locks / "integrations.md.lock", os.O_RDWR | os.O_CREAT, 0o600)) as guard:  # not beside the document: it may live in a repo
        fcntl.flock(guard, fcntl.LOCK_EX)
        text_ = path.read_text(encoding="utf-8") if path.is_file() else _template()
        inventory = parse(text_, path)
        if inventory.find(service):
            row = inventory.find(service)
            raise InvalidInput(f"{row.service!r} is already in {path} (line {row.line}); edit that row instead")
        if inventory.table_end is None:
            raise InvalidInput(f"{path} has no integrations table to add to; add a table with the columns "
                               f"{' | '.join(HEADERS.values())}")
        line = "| " + " | ".join(values.get(key, "") if key else "" for key in inventory.header) + " |"
        lines = text_.splitlines(keepends=True)
        at = inventory.table_end
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, line + "\n")
        _write(path, "".join(lines))
    _remember(ctx, values["service"])
    decided = None
    if request:
        from ..api.requests import decide_request

        decided = decide_request(request, "integrate", note=f"added to {path.name}", ctx=ctx)
    return {"service": service.strip(), "file": str(path), "line": at + 1, "row": line,
            "request": {"id": decided["id"], "status": decided["status"]} if decided else None}


# characters that break a markdown table row (line separators, vertical tab, form feed, controls)
_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def cell(value: str) -> str:
    """One table cell: secrets scrubbed, `|` and line-breaking characters escaped."""
    from ..scrub import scrub

    protected = _BREAKERS.sub(lambda m: f"\\u{ord(m.group()):04x}", value)  # before scrub drops them
    return (scrub(protected) or "").replace("|", "\\|")


def _check_request(ctx: Context, request: str) -> None:
    from ..errors import NotFound
    from ..ids import format_id, parse_id
    from ..ledger import requests_table
    from ..lifecycle import check_request_transition

    number = parse_id("request", request)
    row = requests_table.get(ctx.conn, number)
    if row is None:
        raise NotFound(f"no request {format_id('request', number)}; list them with `opsctl requests list`")
    check_request_transition(format_id("request", number), row["status"], "integrated")


def _template() -> str:
    return TEMPLATE.format(headers=" | ".join(HEADERS[k] for k in COLUMNS), rule="|".join(["---"] * len(COLUMNS)))


def _write(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    if path.exists():
        os.chmod(temp, path.stat().st_mode & 0o777)
    os.replace(temp, path)


def _remember(ctx: Context, service: str) -> None:
    """When it was added: a new row is not 'unused' during its first 30 days."""
    from ..ledger import kv_table, transaction

    at = clock.now_iso()
    with transaction(ctx.conn):
        kv_table.put(ctx.conn, added_key(service), at, at=at)


def added_key(service: str) -> str:
    return f"integration_added:{fold(service)}"
