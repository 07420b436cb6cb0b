"""`opsctl deliver` and tick work the outbox in batches (issue 13): every row once, bookkeeping per
batch, and rows the time budget left untried given back at once, their attempt not counted."""

from __future__ import annotations

from collections import Counter

import pytest

from opsctl import clock, notify_error
from opsctl.api.outbox import deliver
from opsctl.context import Context
from tests.delivery_support import T0, blocking, later, outbox_rows, write_config

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL


def _queue(fake_hook, monkeypatch, count: int) -> None:
    """`count` notices whose first try failed: queued for `deliver`."""
    monkeypatch.setenv("OPSCTL_NOTIFY_USER_URL", fake_hook.hook_url)
    clock.set_now(T0)
    fake_hook.fail_next("*", status=503, times=count)
    for n in range(count):
        assert [d["status"] for d in notify_error(**blocking(service=f"svc-{n}"))["deliveries"]] == ["queued"]
    assert fake_hook.received == []


def test_a_big_outbox_goes_out_in_batches_each_row_once(fake_hook, monkeypatch):
    write_config("outbox: {tries: 1, concurrency: 2}\n")  # batches of 2, 4, 8, 16...
    _queue(fake_hook, monkeypatch, 40)
    clock.set_now(later(hours=2))
    result = deliver(ctx=Context())
    assert result["sent"] == 40 and len(result["deliveries"]) == 40
    assert Counter(r.header("x-opsctl-delivery") for r in fake_hook.received) == \
        Counter({str(row["id"]).removeprefix("dlv-"): 1 for row in outbox_rows()})
    assert {row["status"] for row in outbox_rows()} == {"sent"}


def test_rows_the_budget_left_untried_are_given_back_and_sent_their_attempt_not_counted(fake_hook, monkeypatch):
    write_config("outbox: {tries: 1, concurrency: 1, budget: 1, timeout: 1}\n")
    _queue(fake_hook, monkeypatch, 3)
    clock.set_now(later(hours=2))
    fake_hook.hang_next("*", seconds=3)  # the first row takes the whole budget (and times out)
    result = deliver(ctx=Context())
    rows = sorted(outbox_rows(), key=lambda r: r["status"])
    # the row that hung: tried, its outcome unknown, due later; the other two: given back, then sent,
    # two attempts each (the failed first try and this one), not three (the untried claim is not counted)
    assert [(r["status"], r["attempts"]) for r in rows] == [("queued", 2), ("sent", 2), ("sent", 2)]
    assert result["sent"] == 2 and len(result["deliveries"]) == 3
