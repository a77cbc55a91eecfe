"""Sending the cycle summary (``summary.build_message``) by SMTP, with the credentials kept out of logs.

``SmtpSettings`` holds where and how to connect; its ``repr`` masks the password, so settings can be
logged. ``send_message`` connects (implicit TLS with ``use_ssl``, else plain with an optional STARTTLS),
logs in only when a username is set, sends, and returns the recipients the server accepted. Any failure
becomes a ``MailError`` that names the server (host:port) and the SMTP error, never the username or the
password, and does not chain the original exception (whose text could hold them).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses


class MailError(RuntimeError):
    """Sending failed; the message names the server and the SMTP error, never the credentials."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. ``starttls`` is ignored with ``use_ssl`` (the connection is TLS from the start)."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    use_ssl: bool = False
    timeout: float = 30

    def __repr__(self) -> str:
        password = None if self.password is None else "***"
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port!r}, username={self.username!r}, "
            f"password={password}, starttls={self.starttls!r}, use_ssl={self.use_ssl!r}, timeout={self.timeout!r})"
        )

    __str__ = __repr__


def recipients_of(msg: EmailMessage) -> list[str]:
    """The addresses in To, Cc and Bcc, in that order, each once."""
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])]
    out: list[str] = []
    for _, address in getaddresses(values):
        if address and address not in out:
            out.append(address)
    return out


def _redact(text: str, settings: SmtpSettings) -> str:
    for secret in (settings.password, settings.username):
        if secret:
            text = text.replace(secret, "***")
    return text


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__}: {exc.smtp_code} {error}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(exc.recipients.items()))
        return f"{type(exc).__name__}: all recipients refused: {refused}"
    return f"{type(exc).__name__}: {exc}"


def send_message(msg: EmailMessage, settings: SmtpSettings) -> list[str]:
    """Send ``msg`` to its To, Cc and Bcc addresses (Bcc is not transmitted); return those the server accepted."""
    to_addrs = recipients_of(msg)
    if not to_addrs:
        raise MailError(f"sending mail via {settings.host}:{settings.port} failed: the message has no recipient")
    context = ssl.create_default_context()
    try:
        if settings.use_ssl:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.starttls and not settings.use_ssl:
                smtp.starttls(context=context)  # refuses to go on in the clear when the server offers no TLS
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(msg, to_addrs=to_addrs)
    except (smtplib.SMTPException, OSError) as exc:
        detail = _redact(_describe(exc), settings)
        raise MailError(f"sending mail via {settings.host}:{settings.port} failed: {detail}") from None
    return [address for address in to_addrs if address not in refused]
