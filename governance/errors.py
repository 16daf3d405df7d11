"""Domain errors: each carries a message a person can act on, and the HTTP status it maps to.

Services raise them; one exception handler in the web layer renders them as pages. A form error
carries a message per field so the page can show each beside its input (status 422).
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class Gone(DomainError):
    """A one-time link that was used already or has expired."""

    status_code = 410


class TooManyAttempts(DomainError):
    status_code = 429


class InvalidInput(DomainError):
    """Form input that breaks a rule; ``fields`` maps each field name to what is wrong with it."""

    status_code = 422

    def __init__(self, fields: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(message or "Please correct the problems below.")
        self.fields = dict(fields)
