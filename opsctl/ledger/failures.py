"""Turning the database's own exceptions into the failures an agent can branch on.

`ledger_unavailable`: locked past the busy timeout, read-only, unwritable, disk full.
`ledger_corrupt`: the file is damaged (a DatabaseError that `PRAGMA quick_check` confirms).
"""

from __future__ import annotations

import sqlite3

from ..errors import LedgerCorrupt, LedgerUnavailable, OpsctlError

_UNAVAILABLE = ("locked", "readonly", "read-only", "unable to open", "disk is full", "disk i/o", "busy",
                "attempt to write")
_CORRUPT = ("not a database", "malformed", "corrupt")


def classify(exc: BaseException, path=None) -> OpsctlError | None:
    """The failure `exc` means, or None when it is not a ledger problem."""
    if isinstance(exc, OSError) and getattr(exc, "errno", None) in (28, 30):  # ENOSPC, EROFS
        return LedgerUnavailable(f"cannot write {'the ledger ' + str(path) if path else 'the ledger'} "
                                 f"({exc.strerror}); free space or check its permissions")
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    text = str(exc)
    where = f"the ledger {path}" if path else "the ledger"
    lowered = text.lower()
    if any(word in lowered for word in _CORRUPT):
        return LedgerCorrupt(f"{where} is corrupt or not an opsctl ledger ({text}); "
                             "move it aside (or point OPSCTL_DB elsewhere) and run again")
    if any(word in lowered for word in _UNAVAILABLE) or isinstance(exc, sqlite3.OperationalError):
        hint = {"locked": "another process holds it; try again (OPSCTL_BUSY_TIMEOUT sets how long to wait)",
                "full": "free some disk space"}
        fix = next((h for k, h in hint.items() if k in lowered), "check its permissions or set OPSCTL_DB")
        return LedgerUnavailable(f"cannot use {where} ({text}); {fix}")
    return LedgerCorrupt(f"{where}: {text}; run `opsctl doctor`")


def is_ledger_failure(exc: BaseException) -> bool:
    return isinstance(exc, (LedgerUnavailable, LedgerCorrupt))
