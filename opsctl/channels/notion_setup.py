"""`opsctl notion setup --parent-page ID`: create the errors, requests and improvements databases.

Running it again finds the databases it made before (their ids are remembered in the ledger per
parent page, `notion:setup:<page>:<key>`, and checked with `databases.retrieve`) instead of
creating a new set; one deleted in Notion (404 or in the trash) is created again.
"""

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

    from ..ledger import kv_table

    created, cache, found = {}, {}, []
    for key, var, title, icon, props in DATABASES:
        remembered = kv_table.get(ctx.conn, _setup_key(parent_page, key))
        database = _existing(client, remembered) if remembered else None
        if database is not None:
            found.append(var)
            created[var] = database["id"]
            continue
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
        cache[_setup_key(parent_page, key)] = database["id"]
        if sources:
            schema = Schema(compact(database["id"]), sources[0]["id"], dict(props))
            cache[schema.key] = schema.dump()
    _remember(ctx, cache)
    return {"databases": created, "found": found, "env": [f"{var}={value}" for var, value in created.items()]}


def _setup_key(parent_page: str, key: str) -> str:
    return f"notion:setup:{compact(parent_page)}:{key}"


def _existing(client, database_id: str) -> dict | None:
    """The database if it still exists and is not in the trash."""
    from notion_client.errors import HTTPResponseError

    try:
        database = client.databases.retrieve(database_id=database_id)
    except HTTPResponseError as exc:
        if getattr(exc, "status", None) == 404:
            return None
        raise OperationalFailure(f"Notion: cannot check database {database_id} ({exc})") from None
    return None if database.get("in_trash") or database.get("archived") else database


def _spec(name: str, kind: str) -> dict:
    if kind in ("select", "multi_select") and name in SELECT_OPTIONS:
        return {kind: {"options": [{"name": n, "color": c} for n, c in SELECT_OPTIONS[name]]}}
    if kind == "number":
        return {"number": {"format": "number"}}
    return {kind: {}}


def _remember(ctx: Context, cache: dict) -> None:
    from ..clock import now_iso
    from ..ledger import kv_table, transaction

    with transaction(ctx.conn):
        for key, value in sorted(cache.items()):  # one order of row locks for every writer
            kv_table.put(ctx.conn, key, value, at=now_iso())
