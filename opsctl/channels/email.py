"""`email`: SMTP (standard library) or SendGrid's v3 API.

    OPSCTL_SMTP_URL=smtp://user:pass@mail.example.com:587   # STARTTLS when the server offers it
    OPSCTL_SMTP_URL=smtps://user:pass@mail.example.com:465  # TLS from the first byte
    SENDGRID_API_KEY=SG....                                 # instead of SMTP
    ALERT_EMAIL_FROM=opsctl@example.com
    ALERT_EMAIL_TO=oncall@example.com,lead@example.com      # when no people are configured

A notice addressed to people (an escalation chain step) goes to exactly their addresses;
anything else goes to ALERT_EMAIL_TO. SMTP 4xx and network errors are transient, 5xx permanent;
SendGrid 429/5xx transient, other 4xx permanent.
"""

from __future__ import annotations

import json

from .base import Channel, Outgoing, Permanent, Sent, Setting, Transient
from .http import USER_AGENT, send


def recipients(out: Outgoing, fallback: str | None) -> list[str]:
    named = (getattr(out.notification, "recipients", None) or {}).get("email")
    if named:
        return list(dict.fromkeys(named))
    return [a.strip() for a in (fallback or "").split(",") if a.strip()]


class EmailChannel(Channel):
    name = "email"
    description = "email over SMTP (OPSCTL_SMTP_URL) or SendGrid (SENDGRID_API_KEY)"
    settings = {
        "smtp_url": Setting("OPSCTL_SMTP_URL", secret=True),
        "sendgrid_key": Setting("SENDGRID_API_KEY", secret=True),
        "sendgrid_url": Setting("SENDGRID_API_URL", default="https://api.sendgrid.com"),
        "sender": Setting("ALERT_EMAIL_FROM"),
        "to": Setting("ALERT_EMAIL_TO"),
        "ca_file": Setting("OPSCTL_SMTP_CA_FILE"),  # a private CA for the SMTP server's certificate
    }
    requires = (("smtp_url", "sender"), ("sendgrid_key", "sender"))

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        from ..messages.email import build

        to = recipients(out, self.values.get("to"))
        if not to:
            return Sent(note="no recipients (set ALERT_EMAIL_TO or people in opsctl.yaml)")
        sender = self.values["sender"]
        domain = sender.rpartition("@")[2].strip(" >") or "opsctl.local"
        message = build(out.notification, purpose=out.purpose, sender=sender, to=to, domain=domain,
                        first=not out.earlier)
        if self.values.get("smtp_url"):
            self._smtp(message, to, timeout)
        else:
            self._sendgrid(message, to, timeout)
        return Sent(remote_id=message["Message-ID"], note=f"emailed {len(to)} recipient(s)")

    # -- SMTP ------------------------------------------------------------
    def _smtp(self, message, to: list[str], timeout: float) -> None:
        import smtplib
        import ssl
        from urllib.parse import unquote, urlsplit

        url = urlsplit(self.values["smtp_url"])
        what = f"SMTP server ({self.var('smtp_url')})"
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise Permanent(f"{self.var('smtp_url')} must look like smtp://user:pass@host:587 or smtps://host:465")
        context = self.tls_context() or ssl.create_default_context()
        try:
            if url.scheme == "smtps":
                client = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=timeout, context=context)
            else:
                client = smtplib.SMTP(url.hostname, url.port or 25, timeout=timeout)
            with client:
                client.ehlo()
                if url.scheme == "smtp" and client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                if url.username:
                    client.login(unquote(url.username), unquote(url.password or ""))
                client.send_message(message, to_addrs=to)
        except smtplib.SMTPRecipientsRefused as exc:
            answers = sorted(exc.recipients.values())
            code, text = answers[0] if answers else (550, b"")
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            raise self._by_code(code, f"{what} refused every recipient: {code} {text[:200]}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise Permanent(f"{what} refused the login ({exc.smtp_code}); "
                            f"check the user and password in {self.var('smtp_url')}") from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise self._by_code(exc.smtp_code, f"{what} answered {exc.smtp_code} {text[:200]}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise Permanent(f"{what}: {exc}") from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ssl.SSLError, OSError) as exc:
            raise Transient(f"{what} unreachable ({type(exc).__name__}: {exc})") from None

    def tls_context(self):
        import ssl

        ca = self.values.get("ca_file")
        return ssl.create_default_context(cafile=ca) if ca else None

    @staticmethod
    def _by_code(code: int, message: str):
        return Transient(message) if 400 <= code < 500 else Permanent(message)

    # -- SendGrid --------------------------------------------------------
    def _sendgrid(self, message, to: list[str], timeout: float) -> None:
        import urllib.request

        text = message.get_body(("plain",)).get_content()
        page = message.get_body(("html",)).get_content()
        headers = {k: message[k] for k in ("Message-ID", "In-Reply-To", "References") if message[k]}
        body = {
            "personalizations": [{"to": [{"email": a} for a in to]}],
            "from": {"email": self.values["sender"]},
            "subject": message["Subject"],
            "content": [{"type": "text/plain", "value": text}, {"type": "text/html", "value": page}],
            "headers": headers,
        }
        url = self.values["sendgrid_url"].rstrip("/") + "/v3/mail/send"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
            "Authorization": f"Bearer {self.values['sendgrid_key']}", "Content-Type": "application/json",
            "User-Agent": USER_AGENT})
        what = f"SendGrid ({self.var('sendgrid_key')})"
        status, _ = send(request, what=what, timeout=timeout, rejected="the email", auth_hint="the API key",
                         detail=_sendgrid_error)
        if status != 202:
            raise Permanent(f"{what} answered HTTP {status}, expected 202")


def _sendgrid_error(exc) -> str:
    try:
        data = json.loads(exc.read(4000) or b"{}")
        messages = [e.get("message") for e in data.get("errors", []) if e.get("message")]
        return f": {'; '.join(messages)[:200]}" if messages else ""
    except Exception:  # noqa: BLE001 - the body is a courtesy
        return ""
