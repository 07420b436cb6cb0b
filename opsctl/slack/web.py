"""The Slack Web API client opsctl's Slack app uses: `SLACK_BOT_TOKEN`, `SLACK_API_URL` for every call."""

from __future__ import annotations

from ..errors import InvalidInput

DEFAULT_API_URL = "https://slack.com/api/"


def api_url(settings) -> str:
    base = settings.get("SLACK_API_URL") or DEFAULT_API_URL
    return base if base.endswith("/") else base + "/"


def client(settings, token: str | None = None, *, timeout: int = 10):
    from slack_sdk.web import WebClient

    return WebClient(token=token if token is not None else settings.get("SLACK_BOT_TOKEN"),
                     base_url=api_url(settings), timeout=timeout)


def require(settings, *names: str) -> dict:
    missing = [name for name in names if not settings.get(name)]
    if missing:
        raise InvalidInput(f"{' and '.join(missing)} not set; set {'them' if len(missing) > 1 else 'it'} in the "
                           "environment or .env (see docs/slack-app.md)")
    return {name: settings.get(name) for name in names}
