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
def m007_people(db):
    # issue 12: P0-P3 on the error, escalation-chain progress, snoozes; silences; SMS delivery
    # status; per-rule condition history (`for:`) and last alert (`cooldown:`)
    db.executescript(
        """
        ALTER TABLE errors ADD COLUMN priority TEXT;
        ALTER TABLE errors ADD COLUMN chain_step INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE errors ADD COLUMN snoozed_until TEXT;
        CREATE TABLE silences (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            service TEXT NOT NULL,
            type TEXT,
            project TEXT,
            reason TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            created_by TEXT,
            removed_at TEXT,
            summarized_at TEXT,
            held INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX silences_open ON silences(ends_at) WHERE summarized_at IS NULL;
        CREATE TABLE sms_messages (
            sid TEXT PRIMARY KEY,
            delivery_id INTEGER NOT NULL,
            channel TEXT NOT NULL,
            subject_id INTEGER,
            status TEXT NOT NULL,
            error TEXT,
            sent_at TEXT NOT NULL,
            checked_at TEXT
        );
        CREATE INDEX sms_messages_pending ON sms_messages(sent_at)
            WHERE status NOT IN ('delivered', 'failed', 'undelivered', 'canceled');
        CREATE TABLE rule_samples (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            rule TEXT NOT NULL,
            scope TEXT NOT NULL,
            at TEXT NOT NULL,
            held INTEGER NOT NULL
        );
        CREATE INDEX rule_samples_by_rule ON rule_samples(rule, scope, at);
        CREATE TABLE rule_alerts (
            rule TEXT NOT NULL,
            scope TEXT NOT NULL,
            last_alert_at TEXT NOT NULL,
            PRIMARY KEY (rule, scope)
        );
        """
    )


@migration
def m008_error_samples(db):
    # each report's own details (the last 20 per error); errors.details stays the first report's
    db.executescript(
        """
        CREATE TABLE error_samples (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            error_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            details TEXT NOT NULL,
            source TEXT
        );
        CREATE INDEX error_samples_error ON error_samples(error_id, id);
        """
    )


@migration
def m009_ux_reports(db):
    """Incidents for stats and the digest: each `created`/`regressed` event starts one; a covering
    index answers "incidents opened since" and "notices sent since" as range scans."""
    db.executescript(
        """
        CREATE INDEX events_action_at ON events(action, at, subject, subject_id);
        """
    )


@migration
def m010_serve_indexes(db):
    # `opsctl serve` / `opsctl metrics`: every figure is an index range count, even at a million errors
    db.executescript(
        """
        CREATE INDEX errors_type ON errors(type);
        CREATE INDEX errors_resolution ON errors(resolution_seconds) WHERE resolution_seconds IS NOT NULL;
        CREATE INDEX deliveries_channel_status ON deliveries(status, channel, created_at);
        CREATE INDEX deliveries_sent_at ON deliveries(sent_at) WHERE sent_at IS NOT NULL;
        CREATE INDEX runs_job_status ON runs(job, status, finished_at);
        """
    )


@migration
def m011_outbox_owner(db):
    # Who holds a claimed delivery: "<boot id>:<pid>:<process start>", so a claim is taken over
    # only when its owner is provably gone (see opsctl/delivery/owner.py).
    db.executescript(
        """
        ALTER TABLE deliveries ADD COLUMN claim_owner TEXT;
        """
    )


@migration
def m012_outbox_pruning(db):
    # Sent payloads are pruned after a retention (outbox.payload_retention_days); the delivery
    # record stays. The partial index holds only sent rows not yet pruned, so "anything to prune?"
    # is one probe when there is nothing.
    db.executescript(
        """
        ALTER TABLE deliveries ADD COLUMN payload_pruned_at TEXT;
        CREATE INDEX deliveries_unpruned ON deliveries(sent_at) WHERE status = 'sent' AND payload_pruned_at IS NULL;
        """
    )


@migration
def m013_stats_priority(db):
    # `opsctl stats`: the P0-P3 targets read priority from the covering index too (one range scan,
    # no row look-ups); false positives per rule from a partial index (they are few)
    db.executescript(
        """
        DROP INDEX errors_stats;
        CREATE INDEX errors_stats ON errors(opened_at, impact, type, service, project, status, occurrences,
            resolution_seconds, notified_at, response_seconds, answered_seconds, escalations, regressions, priority);
        CREATE INDEX errors_false_positives ON errors(resolved_at, source) WHERE status = 'false_positive';
        """
    )


@migration
def m014_delivery_payloads(db):
    # A queued notification (about 2 KB) lives beside its delivery row, not in it: claiming and
    # marking thousands of rows then rewrites small rows, a few dozen to a page, not one page per
    # two rows (`opsctl deliver` of 10,000 rows spent most of its ledger time rewriting payloads).
    db.executescript(
        """
        CREATE TABLE delivery_payloads (
            delivery_id INTEGER PRIMARY KEY,
            payload TEXT NOT NULL
        );
        INSERT INTO delivery_payloads (delivery_id, payload) SELECT id, payload FROM deliveries;
        ALTER TABLE deliveries DROP COLUMN payload;
        """
    )
