"""Turn a rule's `mention:` into what Slack understands, at send time (never inside a transaction).

`@channel` / `@here` become `<!channel>` / `<!here>`; a user-group handle (`@data-team`) becomes
`<!subteam^S0123>` when the bot token may call `usergroups.list` (scope `usergroups:read`). What
was learned is handed back as kv entries (`slack:usergroup:<handle>`: the id, or "" when the bot
cannot see the group) that the outbox stores with the delivery; without the scope the text is
kept as written. A network failure is not remembered: the next send asks again.
"""

from __future__ import annotations

from collections.abc import Callable

SPECIAL = {"@channel": "<!channel>", "@here": "<!here>", "@everyone": "<!everyone>"}
PREFIX = "slack:usergroup:"


def resolve(mention: str | None, cache: dict, list_groups: Callable[[], dict[str, str] | None] | None
            ) -> tuple[str | None, dict]:
    """(Slack text, kv entries learned); `list_groups` answers {handle: id}, {} without the scope,
    None when Slack could not be asked; None itself when there is no bot token."""
    if not mention:
        return mention, {}
    learned: dict = {}
    groups: list = []  # one usergroups.list per send, only when a handle is not cached

    def group_id(handle: str) -> str | None:
        key = PREFIX + handle.lower()
        if key in cache or key in learned:
            return cache.get(key, learned.get(key))
        if list_groups is None:
            return None
        if not groups:
            groups.append(list_groups())
        if groups[0] is None:
            return None
        learned[key] = next((gid for name, gid in groups[0].items() if name.lower() == handle.lower()), "")
        return learned[key]

    words = []
    for word in mention.split():
        if word.startswith("<") or not word.startswith("@"):
            words.append(word)
        elif word.lower() in SPECIAL:
            words.append(SPECIAL[word.lower()])
        else:
            found = group_id(word[1:])
            words.append(f"<!subteam^{found}>" if found else word)
    return " ".join(words), learned
