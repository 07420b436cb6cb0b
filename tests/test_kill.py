"""SIGKILL at seeded random moments of `notify-error`, `deliver` and `tick` (real processes, real fakes).

Every recorded error reaches every channel (nothing lost) and a kill duplicates at most one
message per channel (only when the send's outcome was unknown). bench/kill_trials.py runs the
same trials by the hundred.
"""

from __future__ import annotations

import pytest

from tests.kill_support import CHANNELS, run_trials

pytestmark = pytest.mark.usefixtures("ledger_backend")  # every test on SQLite and PostgreSQL

TRIALS = 6


@pytest.mark.parametrize("command", ["notify-error", "deliver", "tick"])
def test_kill_9_loses_nothing_and_duplicates_at_most_once_per_kill(command, tmp_path, ledger_backend, request):
    fresh_db = request.getfixturevalue("pg_server").fresh if ledger_backend == "postgres" else None
    summary = run_trials(command, TRIALS, seed=7, folder=tmp_path, fresh_db=fresh_db)
    print(command, summary)
    assert summary["trials"] == TRIALS and summary["recorded"] > 0
    assert summary["killed_while_running"] > 0  # the kills fell inside the command's life
    for channel in CHANNELS:
        assert summary[f"{channel}_lost"] == 0, summary
        assert summary[f"{channel}_duplicates"] <= summary["killed_while_running"], summary
