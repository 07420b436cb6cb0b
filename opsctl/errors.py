"""One domain error base class, caught once at the top of the CLI."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # operational failure: ledger unwritable or corrupt, broken config
    INVALID = 2  # invalid input: nothing was written
    WAIT_TIMEOUT = 3  # `opsctl wait` ran out of time without an answer
    SKIPPED = 75  # `opsctl run`: previous run still holds the lock (EX_TEMPFAIL)
    TIMEOUT = 124  # `opsctl run`: the job was killed after its timeout, like timeout(1)


class OpsctlError(Exception):
    """Base of every error opsctl reports to users as one line."""

    exit_code = ExitCode.FAILURE

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(OpsctlError):
    """Bad flags or values: exit 2, nothing written."""

    exit_code = ExitCode.INVALID


class NotFound(InvalidInput):
    """An id that is not in the ledger."""


class OperationalFailure(OpsctlError):
    """The ledger, config or environment is broken: exit 1."""

    exit_code = ExitCode.FAILURE


class LedgerUnavailable(OperationalFailure):
    """The ledger cannot be reached or written (a PostgreSQL server down, a wrong URL): exit 1."""

    code = "ledger_unavailable"


def invalid_choice(what: str, value: object, valid) -> InvalidInput:
    return InvalidInput(f"invalid {what} {value!r}; valid: {', '.join(valid)}")
