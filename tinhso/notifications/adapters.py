"""The outside systems a message goes through: an SMS gateway and the e-mail server (STYLE.md rule 7).

Every adapter raises `DeliveryError` (with `retryable`) and nothing else for a message it could not hand
over, so the worker (`delivery.py`) handles SMS and e-mail alike. Which SMS gateway: setting
`SMS_GATEWAY` = "console" (development: the message is logged) | "http" (`HttpSmsGateway`). Which e-mail
server: Django's `EMAIL_BACKEND` (console in development, SMTP in production, locmem in tests).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import smtplib
import ssl
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import BadHeaderError, EmailMessage
from django.core.validators import validate_email

from tinhso.core.http import OutboundError, request_json

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
SMS_GATEWAYS = ("console", "http")


class DeliveryError(Exception):
    """A message could not be handed over. `retryable`: whether trying the same message later can help
    (the gateway is down or busy) or not (the number is invalid, the gateway refused the request)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        """Hand `text` to the gateway for `phone`; return the gateway's id of the message. The gateway
        sends one SMS per `idempotency_key`, however often it is called with it."""
        ...


# --- Vietnamese mobile numbers --------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s.\-()]")
# Since the 2018 renumbering (11-digit 01xx numbers became 10-digit ones) every mobile number is
# 0 + 9 digits, the first of them 3, 5, 7, 8 or 9. 02x numbers are landlines: they receive no SMS.
_MOBILE = re.compile(r"[35789][0-9]{8}", re.ASCII)


def phone_normalise(phone: str) -> str:
    """0912 345 678, +84 912 345 678, 84912345678, 0084912345678 → "84912345678" (the international form
    without "+", which Vietnamese gateways expect). Anything else raises a non-retryable `DeliveryError`."""
    digits = _SEPARATORS.sub("", phone)
    if digits.startswith("+84"):
        national = digits[3:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif digits.startswith("84") and len(digits) == 11:
        national = digits[2:]
    else:
        national = ""
    if len(national) == 10 and national.startswith("0"):
        national = national[1:]  # "+84 0912 345 678": the trunk 0 written after the country code
    if not _MOBILE.fullmatch(national):
        # The number itself stays out of the reason: reasons reach the logs, the recipient is on the row.
        raise DeliveryError("không phải số di động Việt Nam hợp lệ", retryable=False)
    return "84" + national


# --- SMS gateways ---------------------------------------------------------------------------------------


class HttpSmsGateway:
    """A brandname SMS API of the usual Vietnamese shape: POST JSON {"phone": "84912345678", "message",
    "brandname", "request_id"} with the API key in a header; answer {"id": …, "status": "accepted"}.
    `request_id` is the outbox message's dedupe key, so a repeated call sends no second SMS."""

    def __init__(self, *, url: str, api_key: str, brandname: str, timeout: float = 10.0) -> None:
        self.url = url
        self.api_key = api_key
        self.brandname = brandname
        self.timeout = timeout

    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        payload = {
            "phone": phone_normalise(phone),
            "message": text,
            "brandname": self.brandname,
            "request_id": idempotency_key,
        }
        try:
            response = request_json(
                "POST",
                self.url,
                payload=payload,
                headers={API_KEY_HEADER: self.api_key},
                timeout=self.timeout,
                deadline=2 * self.timeout,  # with the last read's timeout: 3 × timeout at most
            )
        except OutboundError as exc:
            raise DeliveryError(_gateway_reason(exc), retryable=exc.retryable) from exc
        data = response.data if isinstance(response.data, dict) else {}
        provider_id = data.get("id")
        if not provider_id:
            # Accepted, perhaps, but unanswerable; asking again with the same request_id is harmless.
            raise DeliveryError(f"the SMS gateway answered {response.status} without an id", retryable=True)
        return str(provider_id)


def _gateway_reason(exc: OutboundError) -> str:
    """The gateway's own words when it gave them ({"error": "…"} or {"message": "…"})."""
    detail = ""
    if exc.body:
        try:
            parsed: Any = json.loads(exc.body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            detail = str(parsed.get("error") or parsed.get("message") or "")
    return f"SMS gateway: {exc}" + (f": {detail}" if detail else "")


class ConsoleSmsGateway:
    """Development: the SMS is written to the log, not sent. Numbers are still checked."""

    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        number = phone_normalise(phone)
        logger.info("SMS (console) to %s [%s]: %s", number, idempotency_key, text)
        return "console-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


def sms_gateway() -> SmsGateway:
    """The gateway the settings name. Raises ImproperlyConfigured rather than sending nowhere."""
    kind = getattr(settings, "SMS_GATEWAY", "console")
    if kind == "console":
        return ConsoleSmsGateway()
    if kind == "http":
        url = getattr(settings, "SMS_GATEWAY_URL", "")
        key = getattr(settings, "SMS_GATEWAY_KEY", "")
        if not (url and key):
            raise ImproperlyConfigured("SMS_GATEWAY=http needs SMS_GATEWAY_URL and SMS_GATEWAY_KEY")
        return HttpSmsGateway(
            url=url,
            api_key=key,
            brandname=getattr(settings, "SMS_BRANDNAME", "TINHSO"),
            timeout=float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 10)),
        )
    raise ImproperlyConfigured(f"SMS_GATEWAY must be one of {', '.join(SMS_GATEWAYS)}, got {kind!r}")


# --- E-mail ---------------------------------------------------------------------------------------------


class EmailSender:
    """One plain-text e-mail through Django's configured backend (`EMAIL_BACKEND`).

    SMTP has no idempotency key: a worker that dies after the server took the message and before the
    outbox recorded it sends it again. The Message-ID is derived from the idempotency key, so both copies
    carry the same one and mail clients that de-duplicate by it show one."""

    def __init__(self, *, from_email: str | None = None) -> None:
        self.from_email = from_email or settings.DEFAULT_FROM_EMAIL

    def message_id(self, idempotency_key: str) -> str:
        domain = self.from_email.rpartition("@")[2].strip("> ") or "localhost"
        return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"

    def send(self, to: str, subject: str, body: str, idempotency_key: str) -> str:
        try:
            validate_email(to)
        except ValidationError:
            raise DeliveryError("địa chỉ thư điện tử không hợp lệ", retryable=False) from None
        message_id = self.message_id(idempotency_key)
        message = EmailMessage(
            subject=subject or "Thông báo từ Tỉnh Số",
            body=body,
            from_email=self.from_email,
            to=[to],
            headers={"Message-ID": message_id},
        )
        try:
            message.send(fail_silently=False)
        except BadHeaderError as exc:
            raise DeliveryError(f"e-mail: {exc}", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryError(f"e-mail: recipient refused (SMTP {codes})", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx: "try again later" (greylisting, mailbox busy); 5xx: permanent (RFC 5321 §4.2.1).
            retryable = 400 <= exc.smtp_code < 500
            raise DeliveryError(
                f"e-mail: SMTP {exc.smtp_code} {exc.smtp_error!r}", retryable=retryable
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(f"e-mail: TLS certificate not trusted: {exc}", retryable=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnected, refused, timed out, unreachable: the next try may work.
            raise DeliveryError(f"e-mail: {type(exc).__name__}: {exc}", retryable=True) from exc
        return message_id


def email_sender() -> EmailSender:
    return EmailSender()
