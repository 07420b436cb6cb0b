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
    code = "operational_failure"  # the slug `--json` failures carry, for agents to branch on

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(OpsctlError):
    """Bad flags or values: exit 2, nothing written."""

    exit_code = ExitCode.INVALID
    code = "invalid_input"


class NotFound(InvalidInput):
    """An id that is not in the ledger."""

    code = "not_found"


class OperationalFailure(OpsctlError):
    """The ledger, config or environment is broken: exit 1."""

    exit_code = ExitCode.FAILURE


class ConfigInvalid(OperationalFailure):
    """opsctl.yaml or .env cannot be used as written."""

    code = "config_invalid"


class UntrustedFile(OperationalFailure):
    """A file that could make opsctl run a command is not safely owned (see opsctl.trust)."""

    code = "untrusted_file"


class LedgerUnavailable(OperationalFailure):
    """The ledger is locked too long, read-only, unwritable, the disk is full, or a PostgreSQL server is down."""

    code = "ledger_unavailable"


class LedgerCorrupt(OperationalFailure):
    """The ledger file is damaged or not an opsctl ledger."""

    code = "ledger_corrupt"


def clip(value: object, limit: int = 80) -> str:
    """A user's value for an error message: repr'd, at most ~`limit` characters."""
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= limit else text[:limit - 4] + "...'"


def invalid_choice(what: str, value: object, valid) -> InvalidInput:
    return InvalidInput(f"invalid {what} {clip(value)}; valid: {', '.join(valid)}")
