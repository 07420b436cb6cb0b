"""The SQL floor of `opsctl tick`: the least a claim of every due escalation can cost, in one transaction.

  python bench/tick_floor.py LEDGER NOW_ISO NEXT_ISO CHANNEL

Plain python + sqlite3: read the due timers; per error a compare-and-set UPDATE of its timer, an
event row and an outbox row; one COMMIT. No routing, no message. The outbox payload is the row
twice, as JSON: about the size of what opsctl stores (the notification and the record's snapshot,
~2 KB), so both write the same bytes.
"""

import json
import sqlite3
import sys


def claim(path: str, at: str, next_at: str, channel: str) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    due = conn.execute("SELECT * FROM errors WHERE next_escalation_at IS NOT NULL AND next_escalation_at <= ?"
                       " ORDER BY next_escalation_at", (at,)).fetchall()
    for row in due:
        claimed = conn.execute(
            "UPDATE errors SET escalations = escalations + 1, last_escalated_at = ?, next_escalation_at = ?"
            " WHERE id = ? AND status = 'escalated' AND next_escalation_at = ? AND escalations = ?",
            (at, next_at, row["id"], row["next_escalation_at"], row["escalations"])).rowcount
        if not claimed:
            continue
        event_id = conn.execute(
            "INSERT INTO events (subject, subject_id, action, actor, at, data) VALUES ('error', ?, 'escalation',"
            " 'floor', ?, ?) RETURNING id", (row["id"], at, json.dumps({"level": 1, "next_at": next_at}))).fetchone()[0]
        delivery_id = conn.execute(
            "INSERT INTO deliveries (event_id, subject, subject_id, channel, purpose, status, attempts,"
            " next_attempt_at, created_at) VALUES (?, 'error', ?, ?, 'escalation', 'queued', 0, ?, ?) RETURNING id",
            (event_id, row["id"], channel, at, at)).fetchone()[0]
        conn.execute("INSERT INTO delivery_payloads (delivery_id, payload) VALUES (?, ?)",
                     (delivery_id, json.dumps({"notification": dict(row), "record": dict(row)})))
    conn.execute("COMMIT")
    conn.close()
    return len(due)


if __name__ == "__main__":
    print(claim(*sys.argv[1:5]))
