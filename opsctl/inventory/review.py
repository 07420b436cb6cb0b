"""`opsctl integrations list|check`: the inventory, and the runbook's monthly review of it.

check flags a row when
- it has no usage monitoring (the cell says none/-/blank and the YAML block gives no usage source),
- it has no backup option,
- the service looks unused: nothing in the ledger mentions it for `unused_days` (30): no error
  about it, no quota reading, no run of a job that `uses:` it (or is named like it), and it was not
  added (`integrations add`) in that time either.
"""

from __future__ import annotations

from datetime import timedelta

from .. import clock
from ..context import Context, ensure
from .document import Integration, fold

NOTHING = {"", "none", "no", "-", "—", "–", "n/a", "na", "tbd", "todo", "?", "unknown", "nothing"}
# a cell whose first word is one of these says there is nothing yet
PLACEHOLDER_WORDS = {"none", "no", "not", "nothing", "tbd", "todo", "pending", "n/a", "na", "unknown", "-", "?"}
UNUSED_DAYS = 30


def list_integrations(*, ctx: Context | None = None) -> dict:
    from . import load

    ctx = ensure(ctx)
    inventory = load(ctx)
    return {"file": str(inventory.path), "exists": inventory.exists,
            "integrations": [i.public() for i in inventory.integrations], "problems": inventory.problems}


def check_integrations(*, unused_days: int = UNUSED_DAYS, ctx: Context | None = None) -> dict:
    from . import load

    ctx = ensure(ctx)
    inventory = load(ctx)
    since = clock.to_iso(clock.now() - timedelta(days=unused_days))
    uses = _job_uses(ctx)
    rows = []
    for integration in inventory.integrations:
        flags = []
        if not stated(integration.monitoring) and not (integration.config.get("usage")):
            flags.append("no usage monitoring")
        if not stated(integration.backup):
            flags.append("no backup option")
        last = last_used(ctx, integration, uses)
        if last is None or last < since:
            flags.append(f"unused for {unused_days} days")
        rows.append(dict(integration.public(), flags=flags, last_used=last))
    flagged = [r for r in rows if r["flags"]]
    return {"file": str(inventory.path), "exists": inventory.exists, "integrations": rows,
            "flagged": len(flagged), "problems": inventory.problems, "unused_days": unused_days}


def stated(cell: str) -> str:
    """The cell's text, or '' when it says there is nothing."""
    text = (cell or "").strip()
    words = text.lower().replace("/", " ").split()
    if text.lower().strip(".") in NOTHING or (words and words[0].strip(".,;:!") in PLACEHOLDER_WORDS):
        return ""  # "none yet", "not set up", "TBD later", "no backup": a placeholder, not a statement
    return text


def last_used(ctx: Context, integration: Integration, uses: dict[str, list[str]]) -> str | None:
    """The latest sign of use in the ledger: an error, a quota reading whose usage moved, a run of a
    job using it, a message sent through a channel of that name (Slack, Notion, webhook…), or the
    day it was added."""
    from ..ledger.activity_queries import last_activity
    from .add import added_key

    name = fold(integration.service)
    jobs = uses.get(name, []) + [name.replace(" ", "-"), name.replace(" ", "_"), name]
    first = name.split(" ")[0]
    channels = [name, first, first.removesuffix("s")]
    return last_activity(ctx.conn, service=name, jobs=jobs, channels=channels,
                         kv_key=added_key(integration.service))


def _job_uses(ctx: Context) -> dict[str, list[str]]:
    """service (folded) -> job names (folded) that declare `uses:` it in opsctl.yaml."""
    from ..jobs.config import configured_jobs

    found: dict[str, list[str]] = {}
    for name, job in configured_jobs(ctx.config, ctx.settings.config_path).items():
        for service in job.uses:
            found.setdefault(fold(service), []).append(name.lower())
    return found
