"""Secrets become [REDACTED] before anything is stored, printed or sent."""

from __future__ import annotations

import sqlite3

import pytest

import opsctl
from opsctl.scrub import scrub

SECRETS = [
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "xoxp-123456789012-1234567890123-abcdef",
    "secret_abcdefghijklmnopqrstuvwxyz0123456789ABC",
    "ntn_1234567890abcdefghijABCDEFGHIJ",
    "sk-proj-abcdefghijklmnopqrstuvwxyz123456",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "AKIAIOSFODNN7EXAMPLE",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]
PAIRS = [
    ("Authorization: Bearer abc123def456ghi789", "Authorization: Bearer [REDACTED]"),
    ("password=hunter2&user=bob", "password=[REDACTED]&user=bob"),
    ("api_key=AIzaSyD-12345 and more", "api_key=[REDACTED] and more"),
    ("token=abcdef123456", "token=[REDACTED]"),
    ("postgres://admin:s3cr3t@db.internal:5432/app", "postgres://[REDACTED]@db.internal:5432/app"),
]


@pytest.mark.parametrize("secret", SECRETS)
def test_token_shapes_are_redacted(secret):
    assert scrub(f"failed with {secret} today") == "failed with [REDACTED] today"


@pytest.mark.parametrize("raw,expected", PAIRS)
def test_pairs_and_urls_are_redacted(raw, expected):
    assert scrub(raw) == expected


def test_plain_words_survive():
    text = "token validation failed after password reset; secret santa"
    assert scrub(text) == text


def test_original_never_reaches_the_disk(isolated_home):
    details = " ".join(SECRETS) + " password=hunter2"
    opsctl.notify_error("auth_failure", "Slack", details, "blocking", ["Rotate " + SECRETS[0]],
                        recommendation="use token=abcdef123456")
    raw = b""
    for path in isolated_home.iterdir():
        if path.name.startswith("ledger.db"):
            raw += path.read_bytes()
    conn = sqlite3.connect(isolated_home / "ledger.db")
    dump = "\n".join(conn.iterdump())
    for secret in SECRETS + ["hunter2", "abcdef123456"]:
        assert secret not in dump
        assert secret.encode() not in raw
