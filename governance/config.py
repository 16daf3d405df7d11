"""Settings from ``GOVERNANCE_*`` environment variables: the one place configuration is read."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GOVERNANCE_{name}", default)


def _secret_key(data_dir: Path) -> str:
    """The key behind every keyed hash (one-time links) and the CSRF token.

    Production sets GOVERNANCE_SECRET_KEY. A local install keeps a generated key in the data folder
    so that links printed before a restart still work after it.
    """
    if key := os.environ.get("GOVERNANCE_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "INFO"
    session_hours: int = 12
    setup_link_minutes: int = 60
    invite_link_hours: int = 72
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    time_zone: str = "Europe/London"
    debug: bool = False
    # Mail. With no SMTP host (the local default) messages wait in the outbox, shown to admins.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True  # require STARTTLS on a plain connection (port 587)
    smtp_tls: bool = False  # implicit TLS from the first byte (port 465)
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Governance <governance@localhost>"
    outbox_in_process: bool = True  # off when separate `governance outbox work` processes run
    outbox_poll_seconds: float = 5.0
    outbox_max_attempts: int = 8
    outbox_retry_seconds: int = 60  # the first retry's delay; each later one doubles it
    # Voting. Wrong voting codes allowed per client address, and across every open poll, in
    # each window of ``code_window_minutes`` (a right code does not count).
    code_failures_per_address: int = 10
    code_failures_per_poll: int = 1000
    code_window_minutes: int = 15
    reminder_min_hours: int = 12  # at least this long between two reminders of one election
    # Open due polls and send due reminders from a background task of the app. On by default
    # when served (from_env); off for apps built directly, as tests build them.
    voting_in_process: bool = False
    voting_poll_seconds: float = 30.0

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry Secure whenever the site is served over https."""
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("DATA_DIR", str(DEFAULT_DATA_DIR)))
        default_db = f"sqlite+aiosqlite:///{data_dir / 'governance.sqlite3'}"
        host = _env("HOST", "127.0.0.1")
        port = int(_env("PORT", "8000"))
        smtp_tls = _env("SMTP_TLS", "") == "1"
        return cls(
            database_url=_env("DATABASE_URL", default_db),
            secret_key=_secret_key(data_dir),
            base_url=_env("BASE_URL", f"http://{host}:{port}").rstrip("/"),
            host=host,
            port=port,
            workers=int(_env("WORKERS", "1")),
            log_level=_env("LOG_LEVEL", "INFO").upper(),
            session_hours=int(_env("SESSION_HOURS", "12")),
            time_zone=_env("TIME_ZONE", "Europe/London"),
            debug=_env("DEBUG", "") == "1",
            smtp_host=_env("SMTP_HOST", ""),
            smtp_port=int(_env("SMTP_PORT", "465" if smtp_tls else "587")),
            smtp_username=_env("SMTP_USERNAME", ""),
            smtp_password=_env("SMTP_PASSWORD", ""),
            smtp_starttls=_env("SMTP_STARTTLS", "1") == "1",
            smtp_tls=smtp_tls,
            smtp_timeout_seconds=float(_env("SMTP_TIMEOUT_SECONDS", "30")),
            mail_from=_env("MAIL_FROM", "Governance <governance@localhost>"),
            outbox_in_process=_env("OUTBOX_IN_PROCESS", "1") == "1",
            outbox_poll_seconds=float(_env("OUTBOX_POLL_SECONDS", "5")),
            outbox_max_attempts=int(_env("OUTBOX_MAX_ATTEMPTS", "8")),
            outbox_retry_seconds=int(_env("OUTBOX_RETRY_SECONDS", "60")),
            code_failures_per_address=int(_env("CODE_FAILURES_PER_ADDRESS", "10")),
            code_failures_per_poll=int(_env("CODE_FAILURES_PER_POLL", "1000")),
            code_window_minutes=int(_env("CODE_WINDOW_MINUTES", "15")),
            reminder_min_hours=int(_env("REMINDER_MIN_HOURS", "12")),
            voting_in_process=_env("VOTING_IN_PROCESS", "1") == "1",
            voting_poll_seconds=float(_env("VOTING_POLL_SECONDS", "30")),
        )
