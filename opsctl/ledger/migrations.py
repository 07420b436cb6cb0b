"""The ledger schema, as ordered migrations applied on open.

Each migration is a small function of a sqlite-utils Database. Append new ones
at the end; never edit one that has shipped. `opsctl.ledger.db` compares the
count with `PRAGMA user_version` so an up-to-date ledger costs one pragma.
"""

from __future__ import annotations

MIGRATIONS: list = []


def migration(fn):
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_core(db):
    db.executescript(
        """
        CREATE TABLE errors (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            fingerprint TEXT NOT NULL,
            type TEXT NOT NULL,
            service TEXT NOT NULL,
            project TEXT NOT NULL DEFAULT '',
            impact TEXT NOT NULL,
            status TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '',
            options TEXT NOT NULL DEFAULT '[]',
            recommendation TEXT,
            source TEXT,
            occurrences INTEGER NOT NULL DEFAULT 1,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            notified_at TEXT,
            acknowledged_at TEXT,
            resolved_at TEXT,
            resolution_seconds REAL,
            solution TEXT,
            cause TEXT,
            detection TEXT,
            prevention TEXT,
            decision INTEGER,
            decision_note TEXT,
            regressions INTEGER NOT NULL DEFAULT 0,
            flapping INTEGER NOT NULL DEFAULT 0,
            escalations INTEGER NOT NULL DEFAULT 0,
            next_escalation_at TEXT,
            updated_at TEXT NOT NULL
        );
        -- one open error per fingerprint, enforced by the database
        CREATE UNIQUE INDEX errors_one_open ON errors(fingerprint)
            WHERE status IN ('open', 'escalated', 'acknowledged');
        CREATE INDEX errors_fingerprint ON errors(fingerprint);
        CREATE INDEX errors_status ON errors(status);
        CREATE INDEX errors_first_seen ON errors(first_seen);
        CREATE INDEX errors_last_seen ON errors(last_seen);
        CREATE INDEX errors_next_escalation ON errors(next_escalation_at)
            WHERE next_escalation_at IS NOT NULL;

        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subject TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT,
            actor TEXT,
            at TEXT NOT NULL,
            note TEXT,
            data TEXT
        );
        CREATE INDEX events_subject ON events(subject, subject_id);
        CREATE INDEX events_at ON events(at);

        CREATE TABLE requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tool TEXT NOT NULL,
            purpose TEXT NOT NULL,
            alternatives TEXT,
            urgency TEXT NOT NULL,
            cost TEXT,
            status TEXT NOT NULL,
            asks INTEGER NOT NULL DEFAULT 1,
            note TEXT,
            until TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            decided_at TEXT
        );
        CREATE UNIQUE INDEX requests_one_pending ON requests(lower(tool))
            WHERE status = 'pending';
        CREATE INDEX requests_status ON requests(status);

        CREATE TABLE improvements (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            department TEXT NOT NULL,
            operation TEXT NOT NULL,
            improvement TEXT NOT NULL,
            impact TEXT,
            category TEXT NOT NULL,
            targets TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL
        );

        CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT,
            updated_at TEXT
        );
        """
    )


@migration
def m002_delivery(db):
    db.executescript(
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id INTEGER,
            subject TEXT NOT NULL,
            subject_id INTEGER,
            channel TEXT NOT NULL,
            purpose TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            claimed_until TEXT,
            claim_token TEXT,
            last_error TEXT,
            remote_id TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (event_id, channel)
        );
        CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
        CREATE INDEX deliveries_subject ON deliveries(subject, subject_id);

        CREATE TABLE remote_refs (
            subject TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            channel TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            data TEXT,
            PRIMARY KEY (subject, subject_id, channel)
        );
        """
    )


@migration
def m003_checks(db):
    db.executescript(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job TEXT NOT NULL,
            status TEXT NOT NULL,
            exit_code INTEGER,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            duration_seconds REAL,
            tail TEXT,
            metrics TEXT,
            message TEXT,
            error_id INTEGER
        );
        CREATE INDEX runs_job ON runs(job, started_at);

        CREATE TABLE quota_readings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            service TEXT NOT NULL,
            used REAL,
            limit_value REAL,
            remaining REAL,
            resets_at TEXT,
            at TEXT NOT NULL,
            source TEXT,
            problem TEXT
        );
        CREATE INDEX quota_readings_service ON quota_readings(service, at);

        CREATE TABLE probe_state (
            name TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            consecutive_successes INTEGER NOT NULL DEFAULT 0,
            last_checked_at TEXT,
            last_error TEXT,
            last_latency_ms REAL,
            error_id INTEGER
        );
        """
    )


@migration
def m004_escalation(db):
    # Timers, auto-fix and report columns for issue 4 (escalation, decisions, learning).
    db.executescript(
        """
        ALTER TABLE errors ADD COLUMN last_escalated_at TEXT;
        ALTER TABLE errors ADD COLUMN remediation_at TEXT;
        ALTER TABLE errors ADD COLUMN remediation_status TEXT;
        -- `opsctl stats --since`: one covering range scan over the incidents opened in the window
        CREATE INDEX errors_stats ON errors(opened_at, impact, type, service, project, status, occurrences,
            resolution_seconds, notified_at, acknowledged_at, resolved_at, escalations, regressions);
        -- `opsctl tick`: deferred requests coming back on their date
        CREATE INDEX requests_deferred_until ON requests(until) WHERE status = 'deferred';
        """
    )


@migration
def m005_report_indexes(db):
    # stats / digest counters that must not scan the whole table
    db.executescript(
        """
        CREATE INDEX errors_resolved_at ON errors(resolved_at) WHERE resolved_at IS NOT NULL;
        CREATE INDEX errors_flapping ON errors(last_seen) WHERE flapping = 1;
        CREATE INDEX errors_remediation ON errors(remediation_at, remediation_status)
            WHERE remediation_at IS NOT NULL;
        CREATE INDEX errors_postmortem_pending ON errors(opened_at) WHERE impact = 'blocking'
            AND status = 'resolved' AND (cause IS NULL OR detection IS NULL OR solution IS NULL OR prevention IS NULL);
        """
    )


@migration
def m006_answer_times(db):
    # Stats read how long the user took as plain numbers, not per-row date arithmetic:
    # response_seconds = notified -> acknowledged; answered_seconds = notified -> first answer
    # (acknowledged or resolved). Written by api.errors._set_status; back-filled here.
    db.executescript(
        """
        ALTER TABLE errors ADD COLUMN response_seconds REAL;
        ALTER TABLE errors ADD COLUMN answered_seconds REAL;
        UPDATE errors SET response_seconds = MAX(0, (julianday(acknowledged_at) - julianday(notified_at)) * 86400)
            WHERE acknowledged_at IS NOT NULL AND notified_at IS NOT NULL;
        UPDATE errors SET answered_seconds =
            MAX(0, (julianday(COALESCE(acknowledged_at, resolved_at)) - julianday(notified_at)) * 86400)
            WHERE notified_at IS NOT NULL AND COALESCE(acknowledged_at, resolved_at) IS NOT NULL;
        DROP INDEX errors_stats;
        CREATE INDEX errors_stats ON errors(opened_at, impact, type, service, project, status, occurrences,
            resolution_seconds, notified_at, response_seconds, answered_seconds, escalations, regressions);
        """
    )


@migration
def m007_outbox_owner(db):
    # Who holds a claimed delivery: "<boot id>:<pid>:<process start>", so a claim is taken over
    # only when its owner is provably gone (see opsctl/delivery/owner.py).
    db.executescript(
        """
        ALTER TABLE deliveries ADD COLUMN claim_owner TEXT;
        """
    )
