"""`opsctl notion setup --parent-page ID`: create the errors, requests and improvements databases."""

from __future__ import annotations

from ..context import Context, ensure
from ..errors import OperationalFailure
from . import registry
from .notion_schema import (ERRORS_PROPERTIES, IMPROVEMENTS_PROPERTIES, REQUESTS_PROPERTIES, Schema, compact)

DATABASES = (
    ("errors", "NOTION_ERRORS_DATABASE_ID", "opsctl errors", "🚨", ERRORS_PROPERTIES),
    ("requests", "NOTION_REQUESTS_DATABASE_ID", "opsctl integration requests", "🔌", REQUESTS_PROPERTIES),
    ("improvements", "NOTION_IMPROVEMENTS_DATABASE_ID", "opsctl improvements", "📈", IMPROVEMENTS_PROPERTIES),
)
SELECT_OPTIONS = {
    "Impact": [("blocking", "red"), ("warning", "yellow"), ("info", "blue")],
    "Status": [("open", "red"), ("escalated", "orange"), ("acknowledged", "yellow"), ("resolved", "green"),
               ("false_positive", "gray"), ("pending", "yellow"), ("approved", "green"), ("rejected", "gray"),
               ("deferred", "blue"), ("integrated", "green")],
    "Urgency": [("low", "gray"), ("medium", "blue"), ("high", "orange"), ("critical", "red")],
}


def setup(parent_page: str, *, ctx: Context | None = None) -> dict:
    """Create the three databases under `parent_page`; returns their ids as .env lines."""
    ctx = ensure(ctx)
    channel = registry.channel_type("notion").from_config("notion", {}, ctx.settings.get)
    if not channel.values.get("token"):
        raise OperationalFailure("set NOTION_TOKEN (the integration's secret) first, in the environment or .env")
    client = channel.client(timeout=30)
    from notion_client.errors import HTTPResponseError

    created, cache = {}, {}
    for key, var, title, icon, props in DATABASES:
        try:
            database = client.databases.create(
                parent={"type": "page_id", "page_id": compact(parent_page)},
                title=[{"type": "text", "text": {"content": title}}], icon={"type": "emoji", "emoji": icon},
                initial_data_source={"properties": {name: _spec(name, kind) for name, kind in props.items()}})
        except HTTPResponseError as exc:
            raise OperationalFailure(channel.redact(channel.error(exc, "the parent page").message)) from None
        except Exception as exc:  # noqa: BLE001 - network errors, timeouts
            raise OperationalFailure(channel.redact(channel.classify(exc).message)) from None
        sources = database.get("data_sources") or []
        created[var] = database["id"]
        if sources:
            schema = Schema(compact(database["id"]), sources[0]["id"], dict(props))
            cache[schema.key] = schema.dump()
    _remember(ctx, cache)
    return {"databases": created, "env": [f"{var}={value}" for var, value in created.items()]}


def _spec(name: str, kind: str) -> dict:
    if kind in ("select", "multi_select") and name in SELECT_OPTIONS:
        return {kind: {"options": [{"name": n, "color": c} for n, c in SELECT_OPTIONS[name]]}}
    if kind == "number":
        return {"number": {"format": "number"}}
    return {kind: {}}


def _remember(ctx: Context, cache: dict) -> None:
    from ..clock import now_iso
    from ..ledger import transaction

    with transaction(ctx.conn):
        for key, value in cache.items():
            ctx.conn.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                             " SET value = excluded.value, updated_at = excluded.updated_at", (key, value, now_iso()))
