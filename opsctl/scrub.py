"""Secret scrubbing: applied to every text before it is stored, printed or sent."""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_PATTERNS = [
    # key=value pairs whose key names a secret (value up to whitespace, quote, & or ,)
    re.compile(
        r"(?i)\b((?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|"
        r"token|client[_-]?secret|private[_-]?key)[\"']?\s*[=:]\s*[\"']?)([^\s\"'&,;]+)"
    ),
    # Authorization headers: "Bearer <token>", "Authorization: Basic <b64>"
    re.compile(r"(?i)(\bbearer|\bauthorization:\s*(?:basic|token))(\s+)([A-Za-z0-9._~+/=-]{8,})"),
    # credentials inside URLs: scheme://user:pass@host
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@"),
]
_TOKENS = re.compile(
    "|".join(
        [
            r"\bxox[abposr]-[A-Za-z0-9-]{8,}",  # Slack tokens
            r"\bxapp-[A-Za-z0-9-]{8,}",
            r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+",  # Slack webhook URLs are secrets
            r"\bsecret_[A-Za-z0-9]{16,}",  # Notion (legacy)
            r"\bntn_[A-Za-z0-9]{16,}",  # Notion
            r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}",  # OpenAI / Anthropic style
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",  # GitHub
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key id
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWT
            r"\bAIza[0-9A-Za-z_-]{35}",  # Google API key
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        ]
    )
)
# C0/C1 control characters except tab and newline
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def scrub(text: str | None) -> str | None:
    """Replace secret-shaped substrings with [REDACTED] and drop control characters."""
    if text is None:
        return None
    text = _CONTROL.sub("", str(text).replace("\r\n", "\n"))
    text = _TOKENS.sub(REDACTED, text)
    text = _PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    text = _PATTERNS[1].sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = _PATTERNS[2].sub(lambda m: m.group(1) + REDACTED + "@", text)
    return text


def scrub_all(values):
    return [scrub(v) for v in values] if values else []


def scrub_obj(value):
    """Scrub every string inside a JSON-like structure."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_obj(v) for v in value]
    return value
