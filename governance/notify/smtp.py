"""One SMTP connection per batch of messages, and what each attempt's outcome means.

RFC 5321 4.2.1: a 5xx reply to a recipient or to the message content is permanent, so retrying
cannot help; a 4xx reply, a dropped connection or a refused log-in is transient (the server may be
busy, or an administrator may be fixing the settings), so the message is tried again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

import aiosmtplib

from governance.config import Settings


@dataclass(frozen=True, slots=True)
class Outcome:
    error: str | None = None
    permanent: bool = False

    @property
    def delivered(self) -> bool:
        return self.error is None


DELIVERED = Outcome()


def _describe(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(_describe(refusal) for refusal in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}".strip()
    return f"{type(error).__name__}: {error}".strip()


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in error.recipients)
    return isinstance(error, aiosmtplib.SMTPDataError) and error.code >= 500


class Relay:
    """Sends messages over one connection; reconnects after a failure, and stops trying for the
    rest of the batch once the server cannot be reached at all.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._unreachable: Outcome | None = None

    async def __aenter__(self) -> Relay:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._close()

    def _new_client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls,
            # True requires STARTTLS (never send a password in clear); False never tries it.
            start_tls=settings.smtp_starttls and not settings.smtp_tls,
            timeout=settings.smtp_timeout_seconds,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            self._client = self._new_client()
            await self._client.connect()
        return self._client

    async def send(self, email: EmailMessage) -> Outcome:
        if self._unreachable is not None:
            return self._unreachable
        try:
            client = await self._connected()
        except (aiosmtplib.SMTPException, OSError) as error:
            await self._close()
            self._unreachable = Outcome(_describe(error))
            return self._unreachable
        try:
            await client.send_message(email)
        except (aiosmtplib.SMTPException, OSError) as error:
            # The session's state after a refusal is uncertain: start the next one afresh.
            await self._close()
            return Outcome(_describe(error), _is_permanent(error))
        return DELIVERED

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
