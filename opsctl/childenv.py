"""The environment of the processes opsctl starts: the user's, minus opsctl's own secrets.

The notify_user command, remediation commands, usage commands and the jobs `opsctl run`
supervises get the caller's environment, except the channel credentials opsctl reads for
itself (SLACK_BOT_TOKEN, NOTION_TOKEN, OPSCTL_WEBHOOK_SECRET, ... see `scrub.SECRET_ENV`).
A command that really needs one gets it through OPSCTL_PASS_ENV (comma-separated names).
"""

from __future__ import annotations

import os

from .scrub import SECRET_ENV

PASS_ENV = "OPSCTL_PASS_ENV"


def child_env(base: dict | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    keep = {name.strip() for name in (env.get(PASS_ENV) or "").split(",") if name.strip()}
    for name in SECRET_ENV:
        if name not in keep:
            env.pop(name, None)
    env.update(extra)
    return env
