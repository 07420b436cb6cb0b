"""A real SMTP server on 127.0.0.1 (aiosmtpd): STARTTLS and implicit TLS with a throwaway CA.

    with SmtpFake(starttls=True, user="ops", password="pw", ca=ca) as smtp:
        ... OPSCTL_SMTP_URL=smtp://ops:pw@127.0.0.1:{smtp.port} ...
        smtp.messages[0]["Subject"]   # email.message.EmailMessage as received
        smtp.sessions[0]["tls"]        # was the mail sent over TLS?

`fail_rcpt = "450 4.2.1 try later"` answers RCPT with that line (faults); login is only offered
over TLS when `starttls` is on (as real servers do), and the password is checked.
"""

from __future__ import annotations

import datetime
import ssl
from email import message_from_bytes, policy
from pathlib import Path


class LoopbackCA:
    """A self-signed certificate for 127.0.0.1 written to `folder` (cert.pem, key.pem)."""

    def __init__(self, folder: Path):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import ipaddress

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(start)
                .not_valid_after(start + datetime.timedelta(days=365 * 30))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        folder.mkdir(parents=True, exist_ok=True)
        self.cert = folder / "cert.pem"
        self.key = folder / "key.pem"
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


class SmtpFake:
    def __init__(self, *, starttls: bool = False, implicit_tls: bool = False, ca: LoopbackCA | None = None,
                 user: str | None = None, password: str | None = None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages = []
        self.sessions: list[dict] = []
        self.logins: list[str] = []
        self.fail_rcpt: str | None = None
        self.fail_data: str | None = None
        fake = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if fake.fail_rcpt:
                    return fake.fail_rcpt
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if fake.fail_data:
                    return fake.fail_data
                fake.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                        policy=policy.default))
                tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
                fake.sessions.append({"tls": tls, "from": envelope.mail_from,
                                      "to": list(envelope.rcpt_tos), "login": session.authenticated})
                return "250 Message accepted"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = user is not None and auth_data.login.decode() == user and auth_data.password.decode() == password
            if ok:
                fake.logins.append(user)
            return AuthResult(success=ok, handled=False)

        kwargs = {}
        if user is not None:
            kwargs.update(authenticator=authenticator, auth_require_tls=starttls)  # smtps: TLS already
        if starttls:
            kwargs.update(tls_context=ca.server_context(), require_starttls=False)
        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     ssl_context=ca.server_context() if implicit_tls else None,
                                     server_hostname="127.0.0.1", ready_timeout=10, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
