"""pytest fixtures for the loopback fakes.

In a conftest.py::

    from tests.fakes.fixtures import *  # noqa: F401,F403

Fixtures (function-scoped; each starts a fresh server and stops it afterwards):

* ``loopback_env`` - sets ``NO_PROXY``/``no_proxy`` to ``127.0.0.1,localhost`` and
  removes ``HTTP(S)_PROXY``/``ALL_PROXY`` (slack_sdk turns HTTPS_PROXY into an
  explicit proxy). Used by the three fakes below.
* ``fake_slack``  -> :class:`tests.fakes.slack.SlackFake` (token ``fake_slack.token``)
* ``fake_notion`` -> :class:`tests.fakes.notion.NotionFake` (token ``fake_notion.token``)
* ``fake_hook``   -> :class:`tests.fakes.hook.HookFake`

On teardown a fixture fails the test if the fake recorded internal errors.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from .hook import HookFake
from .notion import NotionFake
from .slack import SlackFake

__all__ = ["loopback_env", "fake_slack", "fake_notion", "fake_hook"]

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _no_internal_errors(fake) -> None:
    """Fail the test if the fake itself crashed (it answered HTTP 599)."""
    assert not fake.errors, f"fake server raised: {fake.errors!r}"


@pytest.fixture
def loopback_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_slack(loopback_env: None) -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake
    _no_internal_errors(fake)


@pytest.fixture
def fake_notion(loopback_env: None) -> Iterator[NotionFake]:
    with NotionFake() as fake:
        yield fake
    _no_internal_errors(fake)


@pytest.fixture
def fake_hook(loopback_env: None) -> Iterator[HookFake]:
    with HookFake() as fake:
        yield fake
    _no_internal_errors(fake)
