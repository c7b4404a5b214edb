"""Email senders: SMTP (the default) and Amazon SES, behind one ``send(Email) -> str``.

Every message carries a Message-ID made from its outbox idempotency key, so a message sent
again after a crash between delivery and bookkeeping is the same message to every mail
system that threads or de-duplicates by Message-ID (mailbox providers and list software
do). SES replaces the Message-ID with its own and has no idempotency token on SendEmail;
there the key travels in an ``X-Frontdoor-Key`` header and as a message tag, so a
repeated delivery is recognisable in SES event records and in the received message.

Failures are sorted into ``TemporaryFailure`` (try again later) and ``PermanentFailure``
(e.g. the recipient does not exist: trying again cannot help).
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses
from typing import Protocol

KEY_HEADER = "X-Frontdoor-Key"
SMTP_TIMEOUT = 30


class TemporaryFailure(Exception):
    """The provider could not take the message now; another attempt may succeed."""


class PermanentFailure(Exception):
    """The provider refused the message for good."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    key: str  # the outbox idempotency key
    language: str = "en"
    headers: dict[str, str] = field(default_factory=dict)


class EmailSender(Protocol):
    def send(self, email: Email) -> str: ...

    def close(self) -> None: ...


def message_id_for(key: str, mail_from: str) -> str:
    """The same key always gives the same Message-ID (domain taken from the sender)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{digest}@{_domain_of(mail_from)}>"


def build_message(email: Email, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message.set_content(email.body, charset="utf-8")  # first: it resets Content-* headers
    message["From"] = mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id_for(email.key, mail_from)
    message["Content-Language"] = email.language
    message["Auto-Submitted"] = "auto-generated"
    message[KEY_HEADER] = email.key
    for name, value in email.headers.items():
        message[name] = value
    return message


class SmtpSender:
    """Sends over one SMTP connection, opened on first use and kept for the batch."""

    def __init__(self, *, host: str, port: int, mail_from: str, username: str = "",
                 password: str = "", starttls: bool = False, use_ssl: bool = False,
                 timeout: float = SMTP_TIMEOUT):
        self.host, self.port, self.mail_from = host, port, mail_from
        self.username, self.password = username, password
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout
        self._connection: smtplib.SMTP | None = None

    def send(self, email: Email) -> str:
        message = build_message(email, self.mail_from)
        try:
            self._connect().send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            self.close()
            raise (PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure)(
                f"recipient refused ({', '.join(map(str, codes))})") from None
        except smtplib.SMTPResponseException as e:
            self.close()
            kind = PermanentFailure if e.smtp_code >= 500 else TemporaryFailure
            raise kind(f"SMTP {e.smtp_code}: {_text(e.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as e:
            self.close()
            raise TemporaryFailure(f"SMTP: {e.__class__.__name__}: {e}") from None
        return message["Message-ID"]

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        context = ssl.create_default_context()
        if self.use_ssl:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls and not self.use_ssl:
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection


class SesSender:
    """Amazon SES (API v2) with the raw MIME message, so it matches what SMTP sends."""

    THROTTLED = {"TooManyRequestsException", "ThrottlingException", "LimitExceededException",
                 "SendingPausedException", "ServiceUnavailable", "InternalFailure"}

    def __init__(self, *, mail_from: str, region: str = "", configuration_set: str = "",
                 endpoint_url: str = "", client=None):
        self.mail_from, self.configuration_set = mail_from, configuration_set
        self._client = client
        self._client_options = {k: v for k, v in {"region_name": region,
                                                  "endpoint_url": endpoint_url}.items() if v}

    def send(self, email: Email) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        message = build_message(email, self.mail_from)
        options = {"FromEmailAddress": self.mail_from,
                   "Destination": {"ToAddresses": [email.to]},
                   "Content": {"Raw": {"Data": message.as_bytes()}},
                   "EmailTags": [{"Name": "frontdoor_key", "Value": _tag_value(email.key)}]}
        if self.configuration_set:
            options["ConfigurationSetName"] = self.configuration_set
        try:
            answer = self._ses().send_email(**options)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            kind = TemporaryFailure if code in self.THROTTLED else PermanentFailure
            raise kind(f"SES {code}: {e.response.get('Error', {}).get('Message', '')}") from None
        except BotoCoreError as e:
            raise TemporaryFailure(f"SES: {e}") from None
        return answer["MessageId"]

    def close(self) -> None:
        pass

    def _ses(self):
        if self._client is None:
            import boto3  # only deployments that send through SES pay for the import

            self._client = boto3.client("sesv2", **self._client_options)
        return self._client


def _domain_of(mail_from: str) -> str:
    addresses = getaddresses([mail_from])
    address = addresses[0][1] if addresses else ""
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def _tag_value(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", key)[:256]


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
