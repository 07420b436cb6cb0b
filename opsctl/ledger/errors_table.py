"""Queries on the `errors` table: record with de-duplication, update, list, show."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

from ..ids import PREFIX, format_id
from ..people.priority import DEFAULT as DEFAULT_PRIORITY, of_row
from ..vocab import OPEN_STATUSES, TIERS, worse_impact
from . import dialect, samples_table
from .db import Conflict, lock
from .events import add_event, history

# the open statuses as an SQL list, for `status IN {OPEN_SQL}` (matches the errors_one_open index)
OPEN_SQL = "(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"


def fingerprint(error_type: str, service: str, project: str | None) -> str:
    """type|service|project, case- and space-insensitive; readable, so no hash is needed."""
    return "|".join([error_type, " ".join(service.lower().split()), " ".join((project or "").lower().split())])


class Recorded:
    """What `record` did: the error's row now, the event it wrote, a repeat absorbed or a resolved one back.

    A plain class: `dataclasses` imports `inspect`, a share of `opsctl run`'s start-up."""

    __slots__ = ("row", "event_id", "deduplicated", "regression")

    def __init__(self, row, event_id: int, deduplicated: bool, regression: bool):
        self.row, self.event_id, self.deduplicated, self.regression = row, event_id, deduplicated, regression


def record(conn: sqlite3.Connection, report: dict, *, at: str, actor: str, status: str = "open") -> Recorded:
    """Insert a report, fold it into the open error with its fingerprint, or reopen a resolved one.

    Call inside `transaction(conn)`. Reports of one fingerprint take turns (a lock on it: the row
    may not exist yet); reports of different ones run side by side on PostgreSQL. The row found
    is locked, so a status change committing meanwhile is waited for and read.
    """
    fp = fingerprint(report["type"], report["service"], report["project"])
    lock(conn, f"opsctl:error:{fp}")
    for _ in range(3):  # a second round only after an explicit reopen of this problem committed meanwhile
        open_row = find_open(conn, fp, for_update=True)
        if open_row is not None:
            return _fold(conn, open_row, report, at=at, actor=actor)
        closed = conn.execute("SELECT * FROM errors WHERE fingerprint = ? AND status = 'resolved'"
                              " ORDER BY id DESC LIMIT 1" + dialect.for_update(conn), (fp,)).fetchone()
        recorded = (_reopen(conn, closed, report, at=at, actor=actor, status=status) if closed is not None
                    else _insert(conn, fp, report, at=at, actor=actor, status=status))
        if recorded is not None:
            return recorded
    raise Conflict(f"error {fp} kept changing while a report was recorded; nothing was written, try again")


def _fold(conn, open_row, report: dict, *, at: str, actor: str) -> Recorded:
    impact = worse_impact(open_row["impact"], report["impact"])
    conn.execute(
        "UPDATE errors SET occurrences = occurrences + 1, last_seen = ?, impact = ?, updated_at = ?"
        " WHERE id = ?",  # the first details stay; this report's go to its sample
        (at, impact, at, open_row["id"]),
    )
    samples_table.add(conn, open_row["id"], at, report["details"], report.get("source"))
    event_id = add_event(conn, "error", open_row["id"], "occurred", at=at, actor=actor,
                         data={"impact": report["impact"]} if impact != open_row["impact"] else None)
    return Recorded(get(conn, open_row["id"]), event_id, True, False)


def _reopen(conn, closed, report: dict, *, at: str, actor: str, status: str) -> Recorded | None:
    """A regression; None when another error of this fingerprint was reopened meanwhile (the unique index)."""
    try:
        update(conn, closed["id"], {
            "status": status, "impact": report["impact"], "details": report["details"],
            "options": json.dumps(report["options"], ensure_ascii=False), "recommendation": report["recommendation"],
            "occurrences": closed["occurrences"] + 1, "last_seen": at, "updated_at": at,  # the row is locked
            **new_incident(closed, at)})
    except sqlite3.IntegrityError:
        return None
    samples_table.add(conn, closed["id"], at, report["details"], report.get("source"))
    event_id = add_event(conn, "error", closed["id"], "regressed", at=at, actor=actor,
                         from_status="resolved", to_status=status)
    return Recorded(get(conn, closed["id"]), event_id, False, True)


def new_incident(row, at: str) -> dict:
    """What a reopened error starts its next incident with (a report of it, or `update-error --status open`):
    the last incident's answer, timers and answer times go."""
    return {"opened_at": at, "notified_at": None, "acknowledged_at": None, "resolved_at": None,
            "resolution_seconds": None, "response_seconds": None, "answered_seconds": None, "decision": None,
            "decision_note": None, "escalations": 0, "next_escalation_at": None, "regressions": row["regressions"] + 1}


def _insert(conn, fp: str, report: dict, *, at: str, actor: str, status: str) -> Recorded | None:
    """A new error; None when one of this fingerprint was reopened meanwhile (the unique index said no)."""
    inserted = conn.execute(
        "INSERT INTO errors (fingerprint, type, service, project, impact, status, details, options,"
        " recommendation, source, first_seen, last_seen, opened_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (fp, report["type"], report["service"], report["project"] or "", report["impact"], status,
         report["details"], json.dumps(report["options"], ensure_ascii=False), report["recommendation"],
         report.get("source"), at, at, at, at),
    ).fetchone()
    if inserted is None:
        return None
    error_id = inserted["id"]
    samples_table.add(conn, error_id, at, report["details"], report.get("source"))
    event_id = add_event(conn, "error", error_id, "created", at=at, actor=actor, to_status=status,
                         data={"source": report.get("source")} if report.get("source") else None)
    return Recorded(get(conn, error_id), event_id, False, False)


def find_open(conn: sqlite3.Connection, fp: str, *, for_update: bool = False) -> sqlite3.Row | None:
    """The open error with this fingerprint (at most one: the database guarantees it); locked with `for_update`."""
    return conn.execute(f"SELECT * FROM errors WHERE fingerprint = ? AND status IN {OPEN_SQL}"
                        + (dialect.for_update(conn) if for_update else ""), (fp,)).fetchone()


def find_open_about(error_type: str, service: str, conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The open error of this type about `service` reported with no project (opsctl's own errors)."""
    return find_open(conn, fingerprint(error_type, service, None))


def get(conn: sqlite3.Connection, error_id: int, *, for_update: bool = False) -> sqlite3.Row | None:
    """The row; with `for_update`, locked until the transaction ends (for a read-then-write)."""
    return conn.execute("SELECT * FROM errors WHERE id = ?" + (dialect.for_update(conn) if for_update else ""),
                        (error_id,)).fetchone()


def require(conn: sqlite3.Connection, error_id: int, *, for_update: bool = False) -> sqlite3.Row:
    """The error's row (locked with `for_update`), or NotFound with a hint (exit 2)."""
    row = get(conn, error_id, for_update=for_update)
    if row is None:
        from ..errors import NotFound

        raise NotFound(f"no error {format_id('error', error_id)} in the ledger; list them with `opsctl errors list`")
    return row


def update(conn: sqlite3.Connection, error_id: int, fields: dict) -> None:
    if not fields:
        return
    names = ", ".join(f"{name} = ?" for name in fields)
    conn.execute(f"UPDATE errors SET {names} WHERE id = ?", (*fields.values(), error_id))


def query(conn: sqlite3.Connection, *, statuses=None, error_type=None, service=None, project=None,
          since=None, impact=None, limit=None) -> Iterable[sqlite3.Row]:
    """The matching rows, most recently seen first, as a cursor (iterate it; nothing is held in memory)."""
    sql, params = _listing("*", statuses=statuses, error_type=error_type, service=service, project=project,
                           since=since, impact=impact, limit=limit)
    if conn.backend != "sqlite":
        return conn.execute(sql, params)
    cursor = conn.cursor()
    cursor.row_factory = _dict_factory()  # plain dicts: a million rows read by name cost a third as much
    return cursor.execute(sql, params)


def query_json(conn: sqlite3.Connection, **filters) -> Iterator[str]:
    """As `query`, each error as the JSON text of its `to_public` shape, rendered by SQLite itself.

    For `errors list --json --limit 0` over a million errors: no Python value, dict or encoder call
    per row. SQLite only (`json_object`); tests/test_listing_json.py holds it to `to_public`."""
    sql, params = _listing(_PUBLIC_JSON, **filters)
    return (row[0] for row in conn.execute(sql, params))


def _listing(columns: str, *, statuses=None, error_type=None, service=None, project=None, since=None,
             impact=None, limit=None) -> tuple[str, list]:
    where, params = [], []
    if statuses:
        where.append(f"status IN ({', '.join('?' * len(statuses))})")
        params += list(statuses)
    for column, value in (("type", error_type), ("impact", impact)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    for column, value in (("service", service), ("project", project)):
        if value:
            where.append(f"{column} = ? COLLATE NOCASE")
            params.append(value)
    if since:
        where.append("last_seen >= ?")
        params.append(since)
    sql = f"SELECT {columns} FROM errors"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY last_seen DESC, id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _dict_factory():
    names: list[str] = []

    def make(cursor, values):
        if not names:
            names.extend(column[0] for column in cursor.description)
        return dict(zip(names, values))

    return make


def to_public(row: sqlite3.Row, *, with_history: list | None = None) -> dict:
    """The JSON shape of an error, as CONTRACT.md and the README describe it."""
    if not isinstance(row, dict):
        row = dict(row)  # one pass over the columns: sqlite3.Row finds each name by a linear scan
    tier = TIERS[row["impact"]]
    public = {
        "id": format_id("error", row["id"]),
        "type": row["type"],
        "service": row["service"],
        "project": row["project"] or None,
        "impact": row["impact"],
        "tier": tier.name,
        "priority": of_row(row),  # P0-P3 (issue 12)
        "snoozed_until": row["snoozed_until"],
        "status": row["status"],
        "occurrences": row["occurrences"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "details": row["details"],
        "options": json.loads(row["options"]),
        "recommendation": row["recommendation"],
        "source": row["source"],
        "notified_at": row["notified_at"],
        "acknowledged_at": row["acknowledged_at"],
        "resolved_at": row["resolved_at"],
        "resolution_seconds": row["resolution_seconds"],
        "solution": row["solution"],
        "cause": row["cause"],
        "detection": row["detection"],
        "prevention": row["prevention"],
        "decision": row["decision"],
        "decision_note": row["decision_note"],
        "regressions": row["regressions"],
        "flapping": bool(row["flapping"]),
        "escalations": row["escalations"],
        "next_escalation_at": row["next_escalation_at"],
        "is_open": row["status"] in OPEN_STATUSES,
    }
    if with_history is not None:
        public["history"] = with_history
    return public


def _case(column: str, mapping: dict) -> str:
    return f"CASE {column} " + " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in mapping.items()) + " END"


def _boolean(condition: str) -> str:
    return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"


# to_public in SQL, key for key in the same order (json_object: SQLite's JSON1, built in since 3.38)
_PUBLIC_JSON = "json_object(" + ", ".join(f"'{key}', {value}" for key, value in (
    ("id", f"'{PREFIX['error']}-' || id"),
    *((name, name) for name in ("type", "service")),
    ("project", "NULLIF(project, '')"),
    ("impact", "impact"),
    ("tier", _case("impact", {impact: tier.name for impact, tier in TIERS.items()})),
    ("priority", f"COALESCE(priority, {_case('impact', DEFAULT_PRIORITY)})"),
    *((name, name) for name in ("snoozed_until", "status", "occurrences", "first_seen", "last_seen", "details")),
    ("options", "json(options)"),
    *((name, name) for name in ("recommendation", "source", "notified_at", "acknowledged_at", "resolved_at",
                                "resolution_seconds", "solution", "cause", "detection", "prevention", "decision",
                                "decision_note", "regressions")),
    ("flapping", _boolean("flapping")),
    *((name, name) for name in ("escalations", "next_escalation_at")),
    ("is_open", _boolean(f"status IN {OPEN_SQL}")),
)) + ")"


def show(conn: sqlite3.Connection, error_id: int) -> dict | None:
    row = get(conn, error_id)
    if row is None:
        return None
    return to_public(row, with_history=history(conn, "error", error_id))


def any_escalated(conn) -> bool:
    """Is any error waiting for an answer (escalated)? One indexed probe, for tick's chains."""
    return conn.execute("SELECT 1 FROM errors WHERE status = 'escalated' LIMIT 1").fetchone() is not None


# --- flags beside the status: flapping, auto-fix progress (no state change) -------------------------

def set_flapping(conn, error_id: int, flapping: bool) -> None:
    conn.execute("UPDATE errors SET flapping = ? WHERE id = ?", (int(flapping), error_id))


def start_remediation(conn, error_id: int, *, at: str, safety_at: str) -> None:
    """The auto-fix is running; `safety_at` (the escalation timer) lets tick notify if it never reports back."""
    conn.execute("UPDATE errors SET remediation_at = ?, remediation_status = 'running', next_escalation_at = ?"
                 " WHERE id = ?", (at, safety_at, error_id))


def set_remediation_status(conn, error_id: int, status: str) -> None:
    conn.execute("UPDATE errors SET remediation_status = ? WHERE id = ?", (status, error_id))


# --- escalation timers (opsctl tick): compare-and-set claims on the row as it was read -------------

def due_escalations(conn, at: str, limit: int) -> list:
    return conn.execute("SELECT * FROM errors WHERE next_escalation_at IS NOT NULL AND next_escalation_at <= ?"
                        " ORDER BY next_escalation_at LIMIT ?", (at, limit)).fetchall()


def clear_timer(conn, error_id: int, due_at: str) -> bool:
    return conn.execute("UPDATE errors SET next_escalation_at = NULL WHERE id = ? AND next_escalation_at = ?",
                        (error_id, due_at)).rowcount == 1


def claim_first_notice(conn, error_id: int, *, due_at: str):
    """An auto-fix that never reported back: take its timer (compare-and-set on the timer as read) and
    mark a remediation still running as lost; the status change itself is `lifecycle.set_status`'s.

    The row as claimed, or None when another process changed it first."""
    return conn.execute(
        "UPDATE errors SET next_escalation_at = NULL,"
        " remediation_status = CASE WHEN remediation_status = 'running' THEN 'lost' ELSE remediation_status END"
        " WHERE id = ? AND next_escalation_at = ? AND notified_at IS NULL AND status = 'open' RETURNING *",
        (error_id, due_at)).fetchone()


def claim_escalation(conn, error_id: int, *, due_at: str, escalations: int, next_at: str | None, at: str):
    """Compare-and-set on the timer as read: the row as claimed, or None when another process moved it."""
    return conn.execute(
        "UPDATE errors SET escalations = escalations + 1, last_escalated_at = ?, next_escalation_at = ?"
        " WHERE id = ? AND status = 'escalated' AND next_escalation_at = ? AND escalations = ? RETURNING *",
        (at, next_at, error_id, due_at, escalations)).fetchone()


CLAIM_CHUNK = 500  # claims per UPDATE: 4 parameters each (SQLite allows 32766, PostgreSQL 65535)


def claim_escalations(conn, claims: list[tuple[int, str, int, str | None]], *, at: str) -> dict:
    """`claim_escalation` for many rows at once, one UPDATE per CLAIM_CHUNK: each claim (id, due_at,
    escalations, next_at) is still a compare-and-set on its row as read. The claimed rows by id."""
    claimed = {}
    cursor = conn
    if conn.backend == "sqlite":
        cursor = conn.cursor()
        cursor.row_factory = _dict_factory()  # plain dicts: each row is read by name many times after
    for start in range(0, len(claims), CLAIM_CHUNK):
        part = claims[start:start + CLAIM_CHUNK]
        marks = ", ".join(["(?, ?, ?, ?)"] * len(part))
        rows = cursor.execute(
            "UPDATE errors SET escalations = errors.escalations + 1, last_escalated_at = ?,"
            f" next_escalation_at = c.column4 FROM (VALUES {marks}) AS c"
            " WHERE errors.id = c.column1 AND errors.status = 'escalated' AND errors.next_escalation_at = c.column2"
            f" AND errors.escalations = c.column3 RETURNING {dialect.returning_all(conn, 'errors')}",
            [at, *(value for claim in part for value in claim)]).fetchall()
        claimed.update((row["id"], row) for row in rows)
    return claimed


def open_by_source(conn, sources: list[str]) -> list:
    """Open errors raised by these checks (few rows: only open ones are scanned)."""
    if not sources:
        return []
    marks = ", ".join("?" * len(sources))
    return conn.execute(f"SELECT id, type, service, project, source FROM errors WHERE status IN {OPEN_SQL}"
                        f" AND source IN ({marks})", sources).fetchall()
