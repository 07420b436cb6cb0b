"""What a channel is: a few declarative attributes and one `send()`.

    class Pager(Channel):
        name = "pager"                                   # the type, used as `type:` in opsctl.yaml
        settings = {"url": Setting("PAGER_URL", secret=True)}
        requires = (("url",),)                           # alternatives: any one group complete

        def send(self, out, *, timeout):
            ...                                          # raise Transient / Permanent on failure
            return Sent(remote_id="...")

A setting is read from opsctl.yaml (`url: ...`), from the variable named there (`url_env: MY_VAR`),
or from its default variable (`PAGER_URL`), in that order; env vars win over `.env`.
Network clients are imported inside `send()` only, so routing never pays for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Setting:
    env: str | None = None  # the default variable
    secret: bool = False  # never shown, never stored, never in an error message
    default: str | None = None


class DeliveryError(Exception):
    """A failed send. `transient` ones are retried; the message names what to fix."""

    transient = False

    def __init__(self, message: str, *, retry_after: float | None = None, later_only: bool = False):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.later_only = later_only  # transient, but not worth repeating within this run


class Transient(DeliveryError):
    """429, 5xx, timeouts, refused connections: try again later."""

    transient = True


class Permanent(DeliveryError):
    """Bad token, unknown channel, other 4xx: retrying the same request cannot help."""


@dataclass
class Sent:
    remote_id: str | None = None  # e.g. the Slack ts, the Notion page id
    ref: dict | None = None  # when set, remembered in remote_refs for later status changes
    note: str | None = None
    cache: dict | None = None  # entries to remember in the ledger's kv table (e.g. resolved ids)


class Outgoing:
    """One delivery as a channel sees it.

    A plain class: `opsctl deliver` builds one per row, in the thread (or forked process) that sends
    it. `notification` is rebuilt from the queued payload only when a channel reads it (webhooks and
    hooks send the payload as queued)."""

    __slots__ = ("subject", "subject_id", "purpose", "_notification", "record", "mention", "ref", "delivery_id",
                 "cache", "attempt", "earlier", "tried", "queued")

    def __init__(self, subject: str, subject_id: int | None, purpose: str, notification=None, *,
                 record: dict | None = None, mention: str | None = None, ref: dict | None = None,
                 delivery_id: int | None = None, cache: dict | None = None, attempt: int = 1,
                 earlier: bool = False, queued: dict | None = None):
        self.subject = subject  # "error", "request", "improvement", "digest", "test"...
        self.subject_id = subject_id
        self.purpose = purpose  # notify, update, escalation, reminder, digest, test
        self._notification = notification  # opsctl.messages.model.Notification
        self.record = record  # the ledger record as `errors show --json` prints it
        self.mention = mention  # e.g. "<!channel>"
        self.ref = ref  # what an earlier send remembered (remote_id + data)
        self.delivery_id = delivery_id
        self.cache = {} if cache is None else cache  # this channel type's kv entries ("<type>:..." keys)
        self.attempt = attempt  # the outbox attempt (a claim) this is
        self.earlier = earlier  # an earlier delivery about the same record went to this channel
        self.tried = 0  # tries so far within this attempt
        self.queued = queued  # the notification's payload as it was queued (with its rendered message)

    @property
    def notification(self):
        if self._notification is None and self.queued is not None:
            from ..messages.model import Notification

            self._notification = Notification.from_payload(self.queued)
        return self._notification

    @property
    def may_have_landed(self) -> bool:
        """Could an earlier try have reached the service unrecorded (crash, timeout after processing)?"""
        return self.attempt > 1 or self.tried > 1 or self.earlier

    def payload(self) -> dict:
        """The JSON for notify_user and webhooks."""
        # as queued: rendered once, when the notice was written, not again for every send
        data = dict(self.queued) if self.queued and "message" in self.queued else self.notification.payload()
        data.update(purpose=self.purpose, subject=self.subject)
        if self.mention:
            data["mention"] = self.mention
        return data


class Channel:
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    settings: ClassVar[dict[str, Setting]] = {}
    requires: ClassVar[tuple[tuple[str, ...], ...]] = ()
    subjects: ClassVar[tuple[str, ...] | None] = None  # None: every subject but improvements
    purposes: ClassVar[tuple[str, ...] | None] = None  # None: every purpose
    client_library: ClassVar[str | None] = None  # the package a send imports, when heavy (see delivery/forked.py)
    client_lazy: ClassVar[tuple[str, ...]] = ()  # what that package imports on first use (imported ahead by warm.py)

    def __init__(self, channel: str, values: dict[str, str], sources: dict[str, str], options: dict):
        self.channel = channel  # this instance's name, as shown in deliveries
        self.values = values
        self.sources = sources  # setting -> the variable (or "opsctl.yaml") it came from
        self.options = options

    @classmethod
    def from_config(cls, channel: str, options: dict, env) -> "Channel":
        values, sources = {}, {}
        for key, setting in cls.settings.items():
            var = options.get(f"{key}_env") or setting.env
            if options.get(key) not in (None, ""):
                values[key], sources[key] = str(options[key]), f"opsctl.yaml channels.{channel}.{key}"
            elif var and env(var):
                values[key], sources[key] = env(var), var
            elif setting.default is not None:
                values[key], sources[key] = setting.default, "default"
            if var and key not in sources:
                sources[key] = var
        return cls(channel, values, sources, options)

    def var(self, key: str) -> str:
        """The name to show a user for a setting (the env var it comes from)."""
        return self.sources.get(key) or self.settings[key].env or f"channels.{self.channel}.{key} in opsctl.yaml"

    def missing(self) -> str | None:
        """None when usable, else what to set."""
        if not self.requires or any(all(self.values.get(k) for k in group) for group in self.requires):
            return None
        ways = [" and ".join(self.var(k) for k in group) for group in self.requires]
        return "set " + ", or ".join(ways)

    def accepts(self, subject: str, purpose: str) -> bool:
        if self.subjects is None:
            subject_ok = subject != "improvement"
        else:
            subject_ok = subject in self.subjects
        return subject_ok and (self.purposes is None or purpose in self.purposes)

    def secrets(self) -> list[str]:
        return [v for k, v in self.values.items() if self.settings[k].secret and v]

    def redact(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, "[REDACTED]")
        return text

    def describe(self) -> dict:
        """Settings with secrets masked, for `opsctl channels list`."""
        shown = {}
        for key, setting in self.settings.items():
            value = self.values.get(key)
            if value is None:
                continue
            where = self.sources.get(key, "")
            if where == "default":
                continue
            shown[key] = f"set ({where})" if setting.secret else value
        return shown

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        raise NotImplementedError

    def classify(self, exc: BaseException) -> DeliveryError:
        """Turn a library exception into Transient/Permanent (channels refine this)."""
        if isinstance(exc, DeliveryError):
            return exc
        if isinstance(exc, ValueError) and not isinstance(exc, UnicodeEncodeError):
            # a malformed or truncated answer (json.JSONDecodeError is a ValueError): try again later
            return Transient(f"{self.channel}: the service sent an answer opsctl cannot read ({type(exc).__name__})")
        if type(exc).__name__ == "IncompleteRead":
            return Transient(f"{self.channel}: the answer was cut off")
        if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
            # the request may have landed: not repeated within this run (at most one duplicate, later)
            return Transient(f"{self.channel} did not answer in time (the outcome is unknown)", later_only=True)
        if isinstance(exc, OSError):  # refused, reset, timed out, DNS (urllib's URLError is one too)
            reason = getattr(exc, "reason", None) or exc
            text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
            return Transient(f"{self.channel} unreachable ({text})")
        return Permanent(f"{self.channel}: {type(exc).__name__}: {exc}")

    def test(self, *, timeout: float) -> str:
        """`opsctl channels test`: by default, send a test notification."""
        from ..messages.model import Notification

        note = Notification(id="test", kind="test", title="opsctl test message",
                            details="If you can read this, opsctl can reach this channel.")
        sent = self.send(Outgoing("test", None, "test", note), timeout=timeout)
        return sent.note or "test message sent"
