"""Loopback fake servers speaking the real Slack / Notion / webhook wire formats.

    from tests.fakes import SlackFake, NotionFake, HookFake
    with SlackFake() as slack:
        WebClient(token=slack.token, base_url=slack.api_url).chat_postMessage(...)

pytest fixtures live in :mod:`tests.fakes.fixtures`; see NOTES.md for how the
real clients (slack_sdk 3.48, notion-client 3.1.0) behave against them.
"""
from .base import Fault, FakeServer, Recorded, Reply
from .hook import HookFake
from .notion import NotionFake
from .slack import SlackFake, SlackMessage

__all__ = ["FakeServer", "Fault", "Recorded", "Reply", "HookFake", "NotionFake",
           "SlackFake", "SlackMessage"]
