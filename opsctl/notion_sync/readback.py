"""`tick` reads back Status edits made on the Notion errors database.

One bounded query per run: pages of the errors data source with `last_edited_time` after the last
poll (kv `notion:readback:since`), oldest first, at most `LIMIT`. A page whose last editor is
opsctl's own integration (`users/me`) is skipped, as is one whose Status already equals the
ledger's, so opsctl's own writes are never echoed back and a page is applied once. A change is
applied through `update_error` with `notion:<user id>` as the actor (so timers stop and Slack hears
it); one the lifecycle forbids is explained on the page as a comment instead.
"""

from __future__ import annotations

from ..clock import now, to_iso
from ..context import Context
from ..errors import InvalidInput

LIMIT = 100
SINCE, BOT, SOURCE = "notion:readback:since", "notion:readback:bot", "notion:readback:source"


def poll(ctx: Context) -> dict | None:
    """Apply the edits made in Notion since the last run; None when Notion is not configured."""
    database = ctx.settings.get("NOTION_ERRORS_DATABASE_ID")
    if not (ctx.settings.get("NOTION_TOKEN") and database):
        return None
    from ..ledger import kv_table, transaction

    since = kv_table.get(ctx.conn, SINCE)
    if since is None:  # first run: start from now, older edits are not news
        _put(ctx, SINCE, notion_time())
        return {"applied": [], "refused": [], "since": None}
    try:
        client = _client(ctx)
        source = kv_table.get(ctx.conn, SOURCE) or _remember(ctx, SOURCE, _source(client, database))
        bot = kv_table.get(ctx.conn, BOT) or _remember(ctx, BOT, client.users.me()["id"])
        pages = client.data_sources.query(
            data_source_id=source, page_size=LIMIT,
            filter={"timestamp": "last_edited_time", "last_edited_time": {"after": since}},
            sorts=[{"timestamp": "last_edited_time", "direction": "ascending"}])["results"]
    except Exception as exc:  # noqa: BLE001 - Notion down must not stop tick
        return {"applied": [], "refused": [], "error": f"{type(exc).__name__}: {exc}"[:200]}
    result = {"applied": [], "refused": []}
    newest = since
    for page in pages:
        newest = max(newest, page.get("last_edited_time") or newest)
        editor = (page.get("last_edited_by") or {}).get("id")
        if editor == bot:
            continue
        _apply(ctx, client, page, editor, result)
    with transaction(ctx.conn):
        kv_table.put(ctx.conn, SINCE, newest, at=to_iso(now()))
    return result


def _apply(ctx: Context, client, page: dict, editor: str | None, result: dict) -> None:
    from ..api.errors import show_error, update_error

    props = page.get("properties") or {}
    error_id = "".join(t.get("plain_text") or t.get("text", {}).get("content", "")
                       for t in (props.get("Error ID") or {}).get("rich_text") or [])
    status = ((props.get("Status") or {}).get("select") or {}).get("name")
    if not error_id or not status:
        return
    try:
        current = show_error(error_id, ctx=ctx)["status"]
    except InvalidInput:
        return
    if status == current:
        return
    actor = Context(ctx.settings, actor=f"notion:{editor or 'unknown'}")
    try:
        update_error(error_id, status, note="changed in Notion", ctx=actor)
        result["applied"].append({"id": error_id, "status": status})
    except InvalidInput as exc:
        client.comments.create(parent={"page_id": page["id"]}, rich_text=[{"type": "text", "text": {
            "content": f"opsctl did not apply Status → {status}: {exc}. The ledger says {current}."[:2000]}}])
        client.pages.update(page_id=page["id"], properties={"Status": {"select": {"name": current}}})
        result["refused"].append({"id": error_id, "status": status, "reason": str(exc)})
    finally:
        actor.close()


def notion_time() -> str:
    """Now as Notion writes timestamps (2026-12-01T21:05:00.000Z), so they compare as strings."""
    return now().strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _client(ctx: Context):
    from ..channels import registry

    channel = registry.channel_type("notion").from_config("notion", {}, ctx.settings.get)
    return channel.client(timeout=15)


def _source(client, database: str) -> str:
    from ..channels.notion_schema import compact

    return client.databases.retrieve(database_id=compact(database))["data_sources"][0]["id"]


def _put(ctx: Context, key: str, value: str) -> str:
    from ..ledger import kv_table, transaction

    with transaction(ctx.conn):
        kv_table.put(ctx.conn, key, value, at=to_iso(now()))
    return value


_remember = _put
