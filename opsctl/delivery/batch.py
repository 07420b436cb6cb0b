"""The outbox rows of many notices queued in one transaction, written together (`opsctl tick`).

Pass one `Batch` as `enqueue(..., batch=)` for every notice of the transaction, then `write` it
before the commit. Each notice is routed and held (silences, snoozes) as on its own, but the
batch reads the silences in force once, takes one time for all of them and inserts the rows with
one statement per `outbox_table.CHUNK` rows instead of one per row.
"""

from __future__ import annotations

from datetime import datetime

from ..clock import to_iso
from ..ledger import outbox_table, silences_table


class Batch:
    def __init__(self, at: datetime):
        self.at = at  # when every row of the batch is queued
        self.at_iso = to_iso(at)
        self._silences: list | None = None
        self._rows: list[tuple[dict, str]] = []  # (delivery, due), in the order enqueue planned them
        self._entries: list[dict] = []  # the plan entries whose `id` the write fills in
        self._bodies: dict[int, tuple] = {}
        self._once: dict = {}
        self._iso: dict = {}

    def silences(self, conn) -> list:
        """The silences in force at the batch's time, read once (nothing else writes them in this transaction)."""
        if self._silences is None:
            self._silences = silences_table.active(conn, self.at_iso)
        return self._silences

    def once(self, key: str, make, *args):
        """`make(*args)`, computed for the first notice of the batch and kept for the others."""
        if key not in self._once:
            self._once[key] = make(*args)
        return self._once[key]

    def iso(self, moment: datetime) -> str:
        """`to_iso(moment)`; the notices of a batch share a few moments (the end of quiet hours)."""
        if (text := self._iso.get(moment)) is None:
            text = self._iso[moment] = to_iso(moment)
        return text

    def add(self, delivery: dict, due: str, entry: dict) -> None:
        self._rows.append((delivery, due))
        self._entries.append(entry)

    def rendered(self, notification, body: dict) -> None:
        self._bodies[id(notification)] = (notification, body)  # the notification kept: its id stays unique

    def body(self, notification) -> dict:
        """The payload enqueue rendered for `notification` (held or unrouted ones: rendered now)."""
        found = self._bodies.get(id(notification))
        return found[1] if found is not None else notification.payload()

    def write(self, conn) -> None:
        """Insert the rows (inside the transaction of the change); the plan entries get their ids."""
        ids = outbox_table.insert_many(conn, self._rows, at=self.at_iso)
        for entry, row_id in zip(self._entries, ids):
            entry["id"] = row_id
        self._rows, self._entries = [], []
