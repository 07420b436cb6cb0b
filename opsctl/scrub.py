"""Secret scrubbing: applied to every text before it is stored, printed or sent.

Two nets, both cheap (they run on every report):
- shapes: one precompiled regex for secret-shaped tokens, `NAME=value` / `"name": "value"`
  pairs whose NAME ends in a secret word, `--password VALUE`, credentials in URLs and
  Authorization headers;
- values: every secret opsctl knows (the variables in `SECRET_ENV` and any variable whose name
  ends in a secret word, from the environment or `.env`) is replaced wherever it appears,
  whatever its shape. `Settings.load()` and the channels feed it through `learn()`.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

# Variables that hold opsctl's own secrets (channel settings marked secret, and friends).
# tests/test_scrub.py checks that every secret Setting of the built-in channels is listed here.
SECRET_ENV = (
    "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_SIGNING_SECRET", "NOTION_TOKEN",
    "OPSCTL_WEBHOOK_SECRET", "OPSCTL_NOTIFY_USER_URL", "OPSCTL_SERVE_TOKEN", "OPSCTL_SMTP_URL",
    "SENDGRID_API_KEY", "TWILIO_AUTH_TOKEN", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET",
)
# Other common secret variables scrubbed by value when set
OTHER_SECRET_ENV = ("DB_PASSWORD", "PGPASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "OPENAI_API_KEY",
                    "ANTHROPIC_API_KEY", "SLACK_TOKEN", "GITHUB_TOKEN", "DATABASE_URL", "REDIS_URL", "SENTRY_DSN")
_SECRET_WORD = r"(?:password|passwd|pwd|secret|token|key|credentials?|dsn)"
_SECRET_NAME = re.compile(rf"(?i).*{_SECRET_WORD}$")
_MIN_VALUE_LENGTH = 6  # shorter values ("1", "true") would redact ordinary words

_TOKENS = "|".join([
    r"xox[abposre]-[A-Za-z0-9-]{8,}",  # Slack tokens (bot, user, refresh...)
    r"xoxe\.xox[bp]-[A-Za-z0-9-]{8,}",  # Slack rotating tokens
    r"xapp-[A-Za-z0-9-]{8,}",  # Slack app-level tokens
    r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+",  # Slack webhook URLs are secrets
    r"secret_[A-Za-z0-9]{16,}",  # Notion (legacy)
    r"ntn_[A-Za-z0-9]{16,}",  # Notion
    r"whsec_[A-Za-z0-9+/=]{8,}",  # Stripe webhook signing secrets
    r"SG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # SendGrid
    r"gh[pousr]_[A-Za-z0-9]{20,}",  # GitHub
    r"github_pat_[A-Za-z0-9_]{20,}",
    r"glpat-[A-Za-z0-9_-]{16,}",  # GitLab
    r"npm_[A-Za-z0-9]{30,}",  # npm
    r"(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key id
    r"AIza[0-9A-Za-z_-]{30,}",  # Google API key
    r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWT
    # PEM private keys, also when the end line was cut off (a job's tail)
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
])
_COMBINED = re.compile(
    "|".join([
        rf"(?P<token>{_TOKENS})",
        # Authorization headers: keep the scheme, drop the credentials
        r"(?P<auth>(?i:(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|token|digest)\s+)?))"
        r"(?P<authv>[^\s\"',;]+)",
        r"(?P<bearer>(?i:bearer\s+))(?P<bearerv>[A-Za-z0-9._~+/=-]{8,})",
        # signed URLs
        r"(?P<amz>X-Amz-(?:Signature|Credential|Security-Token)=)(?P<amzv>[^\s&\"']+)",
        # --password VALUE, --api-key=VALUE
        rf"(?P<flag>--(?i:[A-Za-z0-9-]*{_SECRET_WORD})(?:=|\s+))(?P<flagv>[^\s\"'-][^\s\"']*)",
        # NAME=value, NAME: value, "name": "value" where NAME ends in a secret word (the match starts at
        # the word: the rest of the name is left as it is, and no scan of every word is needed)
        rf"(?P<pair>(?i:{_SECRET_WORD})[\"']?\s*[=:]\s*)"
        r"(?:\"(?P<dq>[^\"\n]*)\"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s\"'&,;]+))",
        # credentials inside URLs: scheme://user:pass@host, scheme://:pass@host (from the `://` on)
        r"(?P<url>(?<=[A-Za-z0-9+.-])://)(?P<urlv>[^/\s:@]*:[^/\s@]+)@",
    ])
)  # case-sensitive (token shapes are), with (?i:...) where case does not matter: much faster
# Shapes that need a word start ("task-force-..." is no OpenAI key): a pass of their own, because one
# alternative anchored at \b makes the big pattern above try every position (2.5 times slower).
_WORD_TOKENS = re.compile(
    r"(?<![A-Za-z0-9_])(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"  # OpenAI / Anthropic style
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{8,}"  # Stripe secret and restricted keys
    r"|SK[0-9a-fA-F]{32}(?![A-Za-z0-9_]))"  # Twilio API key sid
)
# C0/C1 control characters except tab and newline
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_known: set[str] = set()
_known_re: re.Pattern | None = None


def _replace(m: re.Match) -> str:
    kind = m.lastgroup
    if kind == "token":
        return REDACTED
    if kind in ("dq", "sq"):
        quote = '"' if kind == "dq" else "'"
        return m.group("pair") + quote + REDACTED + quote
    if kind == "bare":
        return m.group("pair") + REDACTED
    if kind == "urlv":
        return m.group("url") + REDACTED + "@"
    # auth/authv, bearer/bearerv, amz/amzv, flag/flagv: the group before the value is kept
    return m.group(kind[:-1]) + REDACTED


def is_secret_name(name: str) -> bool:
    return name in SECRET_ENV or name in OTHER_SECRET_ENV or bool(_SECRET_NAME.match(name))


def learn(values) -> None:
    """Remember secret values so they are scrubbed wherever they appear."""
    global _known_re
    fresh = {str(v) for v in values if v and len(str(v)) >= _MIN_VALUE_LENGTH} - _known
    if not fresh:
        return
    _known.update(fresh)
    ordered = sorted(_known, key=len, reverse=True)
    _known_re = re.compile("|".join(re.escape(v) for v in ordered))


def learn_env(env: dict) -> None:
    """Remember the values of every secret-named variable in `env`."""
    learn(value for name, value in env.items() if value and is_secret_name(name))


_learned_envs = [0]


def _learn_loaded() -> None:
    """The environments Settings.load() merged since the last call (real env + .env files)."""
    import sys

    settings = sys.modules.get("opsctl.settings")
    loaded = getattr(settings, "LOADED_ENVS", None)
    if loaded and len(loaded) > _learned_envs[0]:
        for env in loaded[_learned_envs[0]:]:
            learn_env(env)
        _learned_envs[0] = len(loaded)


def forget_all() -> None:
    """For tests: drop the learned values."""
    global _known_re
    _known.clear()
    _known_re = None


def scrub(text: str | None) -> str | None:
    """Replace secret-shaped substrings and known secret values with [REDACTED]; drop control characters."""
    if text is None:
        return None
    _learn_loaded()
    text = _CONTROL.sub("", str(text).replace("\r\n", "\n"))
    if _known_re is not None:
        text = _known_re.sub(REDACTED, text)
    return _WORD_TOKENS.sub(REDACTED, _COMBINED.sub(_replace, text))


def scrub_all(values):
    return [scrub(v) for v in values] if values else []


def scrub_obj(value, *, memo: dict | None = None):
    """Scrub every string inside a JSON-like structure; `memo` (string → scrubbed) spares repeats."""
    if isinstance(value, str):
        if memo is None:
            return scrub(value)
        if (done := memo.get(value)) is None:
            done = memo[value] = scrub(value)
        return done
    if isinstance(value, dict):
        return {k: scrub_obj(v, memo=memo) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_obj(v, memo=memo) for v in value]
    return value
