"""Which error type an exception is: the runbook's "in every script" classification."""

from __future__ import annotations

import re

_QUOTA = re.compile(r"(?i)\b(rate[ -]?limit|too many requests|quota|limit (?:reached|exceeded)|throttl|usage limit)")
_AUTH = re.compile(r"(?i)\b(unauthori[sz]ed|forbidden|invalid[_ ](?:auth|token|api[_ ]?key|credentials?)|"
                   r"authenticat|credential|expired token|token expired|access denied|permission denied)")
_MISSING = re.compile(r"(?i)\b(no module named|not installed|integration (?:is )?missing|not configured|"
                      r"missing (?:integration|api key|credentials?))")


def status_code(exc: BaseException) -> int | None:
    """The HTTP status carried by requests / httpx / urllib / slack / notion exceptions, if any."""
    for holder in (exc, getattr(exc, "response", None)):
        if holder is None:
            continue
        for attr in ("status_code", "status", "code"):
            value = getattr(holder, attr, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
    return None


def classify(exc: BaseException) -> str:
    code = status_code(exc)
    if code == 429:
        return "api_limit"
    if code in (401, 403):
        return "auth_failure"
    if isinstance(exc, (ModuleNotFoundError, ImportError)):
        return "integration_missing"
    message = f"{type(exc).__name__}: {exc}"
    if _QUOTA.search(message):
        return "api_limit"
    if isinstance(exc, PermissionError) and "denied" not in message.lower():
        return "system_error"
    if _AUTH.search(message):
        return "auth_failure"
    if _MISSING.search(message):
        return "integration_missing"
    return "system_error"


def default_options(error_type: str) -> list[str]:
    """Options offered when a script did not name its own."""
    return {
        "api_limit": ["Wait for the limit to reset", "Provide a new API key", "Upgrade the plan",
                      "Switch to an alternative service"],
        "api_limit_warning": ["Reduce usage", "Upgrade the plan before the limit", "Ignore until the digest"],
        "auth_failure": ["Provide a new credential", "Re-authorise the integration", "Disable the integration"],
        "integration_missing": ["Install / configure the integration", "Use the manual workaround",
                                "Drop the feature"],
        "system_error": ["Retry the job", "Investigate the logs", "Mark as a false positive"],
    }[error_type]
