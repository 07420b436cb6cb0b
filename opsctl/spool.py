"""The spool: reports kept on disk while the ledger cannot take them.

When the ledger is locked past the busy timeout, read-only, on a full disk or corrupt, a
report (`notify-error`, `track-error`, a run's result, a check's finding) is written to
`OPSCTL_HOME/spool/` as one JSON file (written aside, then renamed into place: a reader never
sees half a file; mode 0600 in a 0700 folder). The next command that opens the ledger ingests
the files, oldest first, and removes each once it is recorded.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import clock

KINDS = ("notify-error", "track-error", "run")


def folder(home: Path) -> Path:
    return Path(home) / "spool"


def write(home: Path, kind: str, payload: dict) -> Path | None:
    """Spool one report; None (and the report in full on stderr) when even that is impossible."""
    from .scrub import scrub_obj

    record = {"kind": kind, "at": clock.now_iso(), "payload": scrub_obj(payload)}
    text = json.dumps(record, ensure_ascii=False, default=str)
    place = folder(home)
    name = f"{record['at'].replace(':', '')}-{os.getpid()}-{os.urandom(4).hex()}.json"
    previous = os.umask(0o077)
    try:
        place.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = place / f".{name}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, place / name)
        return place / name
    except OSError as exc:
        print(f"opsctl: cannot write the spool either ({exc.strerror or exc}); the report in full:\n{text}",
              file=sys.stderr)
        return None
    finally:
        os.umask(previous)


def pending(home: Path) -> list[Path]:
    try:
        return sorted(p for p in folder(home).iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except OSError:
        return []


def ingest(ctx) -> list[dict]:
    """Record every spooled report through `ctx` (whose ledger is open); returns what was recorded."""
    done = []
    for path in pending(ctx.settings.home):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # another process is ingesting it, or it is not ours
        try:
            claimed = path.with_name("." + path.name + ".ingesting")
            os.replace(path, claimed)  # one ingester per file
        except OSError:
            continue
        try:
            result = _record(ctx, record)
        except Exception:  # noqa: BLE001 - put it back for the next command
            os.replace(claimed, path)
            raise
        claimed.unlink()
        done.append({"kind": record["kind"], "spooled_at": record["at"], "result": result})
    if done:
        print(f"opsctl: recorded {len(done)} report(s) kept in the spool while the ledger was unavailable",
              file=sys.stderr)
    return done


def _record(ctx, record: dict):
    kind, payload = record["kind"], dict(record["payload"])
    if kind == "notify-error":
        from .api.errors import notify_error

        return notify_error(ctx=ctx, **payload).get("id")
    if kind == "track-error":
        from .api.errors import track_error

        return track_error(ctx=ctx, **payload).get("id")
    if kind == "run":
        from .jobs.service import record_spooled_run

        return record_spooled_run(ctx, payload)
    return None


def guarded(ctx_home: Path, kind: str, payload: dict, call):
    """Run `call()`; when the ledger is unavailable, spool `payload` and raise LedgerUnavailable saying so."""
    from .errors import LedgerCorrupt, LedgerUnavailable
    from .ledger.failures import classify

    try:
        return call()
    except (LedgerUnavailable, LedgerCorrupt) as exc:
        failure = exc
    except Exception as exc:  # noqa: BLE001 - only database failures are spooled; the rest re-raise
        failure = classify(exc)
        if failure is None:
            raise
    where = write(ctx_home, kind, payload)
    kept = (f"; the report is kept in {where} and will be recorded by the next command that opens the ledger"
            if where else "; the report could not be spooled (printed above)")
    raise type(failure)(failure.message + kept) from None  # ledger_unavailable, or ledger_corrupt
