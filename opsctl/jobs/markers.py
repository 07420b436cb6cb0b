""""Started" markers: a run whose supervisor died (kill -9, OOM, reboot) is still recorded.

Before the job starts, `OPSCTL_HOME/running/<job>.<pid>.json` says who runs what since when;
it goes away once the run is recorded. A marker whose supervisor pid is gone is a lost run:
the next `opsctl run` records it (the job itself died with its supervisor, see PR_SET_PDEATHSIG
in supervise.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import clock
from .lock import pid_alive


def folder(home: Path) -> Path:
    return Path(home) / "running"


def start(home: Path, job: str, args: list[str]) -> Path | None:
    place = folder(home)
    path = place / f"{job}.{os.getpid()}.json"
    record = {"job": job, "pid": os.getpid(), "started_at": clock.now_iso(), "command": [str(a) for a in args][:20]}
    try:
        place.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = path.with_name("." + path.name)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(record))
        os.replace(temp, path)
        return path
    except OSError:
        return None  # the run goes ahead; only a crash of this process would go unrecorded


def finish(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass


def lost(home: Path) -> list[tuple[Path, dict]]:
    """Markers left by supervisors that are gone."""
    try:
        paths = [p for p in folder(home).iterdir() if p.suffix == ".json" and not p.name.startswith(".")]
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            record = json.loads(path.read_text())
            pid = int(record["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if pid != os.getpid() and not pid_alive(pid):
            found.append((path, record))
    return found
