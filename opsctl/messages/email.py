"""A notification as an email: subject, plain text and HTML in the runbook's format, threading headers.

    Subject: [P0] api_limit · Scraper API — error-12

Every email about one record carries the same thread root: the first one has
`Message-ID: <error-12@opsctl.HOST>`, every later one a fresh Message-ID plus
`In-Reply-To` / `References` pointing at that root, so mail clients thread them.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..scrub import scrub
from .model import Notification

PURPOSE_WORDS = {"update": "Update", "escalation": "Escalation", "reminder": "Reminder"}


def priority(note: Notification) -> str | None:
    from ..people.priority import DEFAULT

    return note.priority or DEFAULT.get(note.impact or "")


def subject_line(note: Notification, purpose: str = "notify") -> str:
    if note.kind in ("error", "update", "escalation", "reminder") and note.type:
        head = f"[{priority(note)}] " if priority(note) else ""
        line = f"{head}{note.type} · {note.service} — {note.id}"
    else:
        line = f"{note.title} — {note.id}" if note.id else note.title
    word = PURPOSE_WORDS.get(purpose)
    if word and not line.startswith(word):
        line = f"{word}: {line}"
    return scrub(" ".join(line.split()))[:200]


def _lines(note: Notification) -> list[tuple[str, str]]:
    facts = []
    if note.type:
        facts.append(("Error type", note.type))
    if note.service:
        facts.append(("Service", note.service))
    if note.project:
        facts.append(("Project", note.project))
    if note.impact:
        level = f"{priority(note)}, " if priority(note) else ""
        suffix = f" ({level}{note.tier}, respond {note.respond_within})" if note.respond_within else ""
        facts.append(("Impact", f"{note.impact}{suffix}"))
    if note.status and note.kind != "error":
        facts.append(("Status", note.status))
    if note.occurrences and note.occurrences > 1:
        facts.append(("Occurrences", str(note.occurrences)))
    facts += [(k, str(v)) for k, v in note.facts.items()]
    if note.details:
        facts.append(("Details", note.details))
    return [(label, scrub(value)) for label, value in facts]


def _asks(note: Notification) -> bool:
    return note.kind in ("error", "request", "escalation", "reminder")


def plain_text(note: Notification) -> str:
    out = [f"{note.title} ({note.id})", ""]
    out += [f"{label}: {value}" for label, value in _lines(note)]
    if note.options:
        out += ["", "Options:"] + [f"{n}. {scrub(o)}" for n, o in enumerate(note.options, 1)]
    if note.recommendation:
        out += ["", f"Recommendation: {scrub(note.recommendation)}"]
    if _asks(note):
        out += ["", "Your decision?"]
        if note.answer_hint:
            out.append(f"Answer with: {note.answer_hint}")
    return "\n".join(out) + "\n"


def html_text(note: Notification) -> str:
    e = html.escape
    rows = "".join(f"<tr><th align=\"left\">{e(label)}</th><td>{e(value)}</td></tr>" for label, value in _lines(note))
    parts = [f"<h2>{e(note.title)} ({e(note.id)})</h2>", f"<table>{rows}</table>"]
    if note.options:
        items = "".join(f"<li>{e(scrub(o))}</li>" for o in note.options)
        parts.append(f"<p><strong>Options:</strong></p><ol>{items}</ol>")
    if note.recommendation:
        parts.append(f"<p><strong>Recommendation:</strong> {e(scrub(note.recommendation))}</p>")
    if _asks(note):
        hint = f" Answer with <code>{e(note.answer_hint)}</code>." if note.answer_hint else ""
        parts.append(f"<p><strong>Your decision?</strong>{hint}</p>")
    return "<!DOCTYPE html><html><body>" + "".join(parts) + "</body></html>"


def thread_id(note: Notification, domain: str) -> str:
    """The Message-ID of the first email about this record (the thread's root)."""
    safe = "".join(c for c in str(note.id) if c.isalnum() or c in "-_.") or "opsctl"
    return f"<{safe}@{domain}>"


def build(note: Notification, *, purpose: str, sender: str, to: list[str], domain: str,
          first: bool) -> EmailMessage:
    """The email; `first` is True when no earlier email about this record went out (it starts the thread)."""
    message = EmailMessage()
    message["Subject"] = subject_line(note, purpose)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    root = thread_id(note, domain)
    if first or not note.id:
        message["Message-ID"] = root if note.id else make_msgid(domain=domain)
    else:
        message["Message-ID"] = make_msgid(idstring=str(note.id), domain=domain)
        message["In-Reply-To"] = root
        message["References"] = root
    message["X-Opsctl-Id"] = str(note.id)
    message.set_content(plain_text(note))
    message.add_alternative(html_text(note), subtype="html")
    return message
