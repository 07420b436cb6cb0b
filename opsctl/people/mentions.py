"""Turn a rule's `mention:` into what Slack understands.

`@channel` / `@here` become `<!channel>` / `<!here>`; a user-group handle (`@data-team`) becomes
`<!subteam^S0123>` when the bot token may call `usergroups.list` (scope `usergroups:read`); the id
is remembered in the ledger. Without that scope the text is kept as written.
"""

from __future__ import annotations

SPECIAL = {"@channel": "<!channel>", "@here": "<!here>", "@everyone": "<!everyone>"}


def resolve(ctx, mention: str) -> str:
    out = []
    for word in mention.split():
        out.append(_one(ctx, word))
    return " ".join(out)


def _one(ctx, word: str) -> str:
    if word.startswith("<") or not word.startswith("@"):
        return word
    if word.lower() in SPECIAL:
        return SPECIAL[word.lower()]
    from ..ledger import people_table

    handle = word[1:]
    key = f"slack:usergroup:{handle.lower()}"
    cached = people_table.kv_get(ctx.conn, key)
    if cached is not None:
        return f"<!subteam^{cached}>" if cached else word
    token = ctx.settings.get("SLACK_BOT_TOKEN")
    if not token:
        return word
    found = _lookup(token, ctx.settings.get("SLACK_API_URL") or "https://slack.com/api/", handle)
    if found is None:
        return word  # network trouble: try again next time
    people_table.kv_put(ctx.conn, key, found)
    return f"<!subteam^{found}>" if found else word


def _lookup(token: str, base: str, handle: str) -> str | None:
    """The group's id, "" when the bot cannot see it, None when Slack could not be asked."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import WebClient

    client = WebClient(token=token, base_url=base if base.endswith("/") else base + "/", timeout=5, retry_handlers=[])
    try:
        groups = client.usergroups_list().get("usergroups") or []
    except SlackApiError:
        return ""  # missing_scope and friends: keep the text
    except OSError:
        return None
    return next((g["id"] for g in groups if (g.get("handle") or "").lower() == handle.lower()), "")
