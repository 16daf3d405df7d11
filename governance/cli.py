"""The ``governance`` command: serve, migrate, create the first admin, export and verify audit
chains, count ballot files. Heavy imports happen inside each command so that ``governance count``
starts fast.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from governance.config import Settings

T = TypeVar("T")


def _settings() -> Settings:
    from governance.config import Settings

    return Settings.from_env()


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work against the configured database, then dispose of the engine."""

    async def run() -> T:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        import governance.models  # noqa: F401 - every table mapped before any query
        from governance.db import create_engine

        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@click.group()
def main() -> None:
    """Elections for membership bodies, from nomination to certified result."""


# --- database --------------------------------------------------------------------------------


@main.group()
def database() -> None:
    """Schema migrations."""


@database.command("upgrade")
def database_upgrade() -> None:
    """Apply every migration to the configured database."""
    from governance.migrate import upgrade

    settings = _settings()
    _ensure_sqlite_folder(settings.database_url)
    upgrade(settings.database_url)
    click.echo("Database is up to date.")


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


# --- serving ---------------------------------------------------------------------------------


def _print_setup_link(settings: Settings) -> None:
    from governance.accounts.links import issue_setup_link

    token = _with_session(settings, lambda session: issue_setup_link(session, settings))
    if token:
        minutes = settings.setup_link_minutes
        click.echo(
            f"\nNo administrator yet. Open this one-time link within {minutes} minutes "
            f"to create the first admin:\n\n    {settings.base_url}/setup/{token}\n"
        )


@main.command("setup-link")
def setup_link() -> None:
    """Print a one-time link that creates the first admin (only while there is none)."""
    settings = _settings()
    _print_setup_link(settings)


@main.command()
@click.option("--migrate/--no-migrate", default=True, help="Apply migrations first.")
def serve(migrate: bool) -> None:
    """Serve the site with Granian (GOVERNANCE_HOST, GOVERNANCE_PORT, GOVERNANCE_WORKERS)."""
    from governance.migrate import upgrade

    settings = _settings()
    if migrate:
        _ensure_sqlite_folder(settings.database_url)
        upgrade(settings.database_url)
    _print_setup_link(settings)
    click.echo(f"Serving on {settings.base_url} with {settings.workers} worker(s).")
    arguments = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--workers",
        str(settings.workers),
        "--log-level",
        settings.log_level.lower(),
        "governance.app:app_factory",
    ]
    os.execv(sys.executable, arguments)  # noqa: S606 - replace this process with the server


# --- accounts --------------------------------------------------------------------------------


@main.group()
def admin() -> None:
    """Administrator accounts."""


@admin.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option(envvar="GOVERNANCE_ADMIN_PASSWORD", help="Prompted for when not given.")
def admin_create(email: str, name: str, password: str) -> None:
    """Create an administrator account (an alternative to the setup link)."""
    from governance.accounts.service import NewAccount, create_user
    from governance.errors import InvalidInput
    from governance.security.roles import Role

    settings = _settings()

    async def work(session: AsyncSession) -> None:
        form = NewAccount(email=email, name=name, password=password)
        await create_user(session, form, frozenset({Role.ADMIN}), actor="command line")
        await session.commit()

    try:
        _with_session(settings, work)
    except InvalidInput as error:
        for field, problem in error.fields.items():
            click.echo(f"{field}: {problem}", err=True)
        sys.exit(1)
    click.echo(f"Administrator {email} created.")


# --- audit -----------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Export and verify audit chains."""


@audit.command("export")
@click.option("--election", "election_id", help="Export this election's chain (default: platform).")
def audit_export(election_id: str | None) -> None:
    """Write a chain as JSON Lines to standard output."""
    from governance.audit import chain as chain_rules
    from governance.audit import service
    from governance.audit.models import PLATFORM_CHAIN, election_chain

    settings = _settings()
    name = election_chain(election_id) if election_id else PLATFORM_CHAIN

    async def work(session: AsyncSession) -> None:
        async for event in service.events(session, name):
            click.echo(chain_rules.to_jsonl(service.as_exported(event)))

    _with_session(settings, work)


@audit.command("verify")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def audit_verify(file: TextIO) -> None:
    """Recompute an exported chain offline; name the first broken event."""
    from governance.audit import chain as chain_rules

    try:
        verdict = chain_rules.verify(chain_rules.read_jsonl(file))
    except chain_rules.ChainFormatError as error:
        click.echo(f"BROKEN: {error}", err=True)
        sys.exit(1)
    if verdict.ok:
        click.echo(f"OK: {verdict.events} events, head {verdict.head}")
        return
    click.echo(
        f"BROKEN at event {verdict.broken_at} (line {verdict.broken_at}): {verdict.reason}. "
        f"The {verdict.events} events before it verify, head {verdict.head}.",
        err=True,
    )
    sys.exit(1)


# --- mail ------------------------------------------------------------------------------------


@main.group()
def outbox() -> None:
    """Mail waiting to be sent."""


@outbox.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def outbox_work(once: bool) -> None:
    """Deliver the outbox over SMTP (GOVERNANCE_SMTP_*); polls until stopped unless --once."""
    from governance.notify.mailer import work
    from governance.voting.codes import register_fillers

    register_fillers()  # voting mail carries placeholders this process fills in at send time
    settings = _settings()
    if not settings.smtp_host:
        click.echo("GOVERNANCE_SMTP_HOST is not set: mail stays in the outbox.", err=True)
        sys.exit(1)
    tally = asyncio.run(work(settings, once=once))
    if once:
        click.echo(f"Sent {tally.sent}, to retry {tally.retrying}, failed {tally.failed}.")


# --- voting ----------------------------------------------------------------------------------


@main.group()
def voting() -> None:
    """Polls: opening them, voting codes, reminders."""


@voting.command("open")
def voting_open() -> None:
    """Open every poll whose voting window has begun (freeze the rolls, issue and mail the
    voting codes) and send the reminders that are due; safe to run at any time, and twice."""
    from governance import clock
    from governance.voting.opening import open_due_polls
    from governance.voting.reminders import send_due

    settings = _settings()

    async def work(session: AsyncSession) -> tuple[list[int], int]:
        opened = await open_due_polls(session, settings, clock.now())
        return opened, await send_due(session, settings, clock.now())

    opened, reminded = _with_session(settings, work)
    click.echo(f"Polls opened or completed: {len(opened)}. Reminders sent: {reminded}.")


# --- demo ------------------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """Ready-made elections for trying the app and for benchmarks (nothing real)."""


@demo.command("voting")
@click.option("--electors", type=click.IntRange(1, 5_000_000), default=1000, show_default=True)
@click.option(
    "--codes",
    "codes_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="where to write each elector's membership number, voting code and link (CSV)",
)
def demo_voting(electors: int, codes_file: Path) -> None:
    """An election open for voting now: an STV contest for 36 seats with 120 candidates and a
    block vote for 4 seats, with ELECTORS electors. Only in a database with no elections."""
    import csv

    from governance import clock
    from governance.demo.voting import build, open_and_list_codes
    from governance.errors import DomainError
    from governance.migrate import upgrade

    settings = _settings()
    _ensure_sqlite_folder(settings.database_url)
    upgrade(settings.database_url)

    async def work(session: AsyncSession) -> list[tuple[str, str, str]]:
        sandbox = await build(session, electors, clock.now())
        return await open_and_list_codes(session, settings, sandbox, clock.now())

    try:
        listed = _with_session(settings, work)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    with codes_file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["member", "code", "url"])
        writer.writerows(listed)
    click.echo(f"Voting is open for {len(listed)} electors; codes written to {codes_file}.")
    click.echo("Sign in as the returning officer: officer@sandbox.example.org / sandbox-officer")


# --- members ---------------------------------------------------------------------------------


@main.group()
def members() -> None:
    """The member register."""


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="Import the file if the check finds no problem.")
@click.option("--lapse-absent", is_flag=True, help="With --commit: lapse members not in the file.")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read COLUMN as FIELD (a register field, attribute or ignore). Repeatable.",
)
def members_import(file: Path, commit: bool, lapse_absent: bool, mappings: tuple[str, ...]) -> None:
    """Check a register CSV and list every problem; with --commit, import it (all or nothing)."""
    from governance.members.register_file import service as importing
    from governance.members.register_file.columns import parse_mapping

    try:
        mapping = parse_mapping(mappings)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--map") from error
    settings = _settings()

    async def work(session: AsyncSession) -> importing.ImportReport:
        if not commit:
            return await importing.check_import(session, file, mapping)
        return await importing.commit_import(
            session, file, actor="command line", mapping=mapping, lapse_absent=lapse_absent
        )

    try:
        report = _with_session(settings, work)
    except importing.ImportRefused as refused:
        report = refused.report
    for line in importing.summary(report):
        click.echo(line)
    sys.exit(0 if report.ok else 1)


# --- counting --------------------------------------------------------------------------------


@main.command(
    "count",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def count(arguments: tuple[str, ...]) -> None:
    """Count a BLT ballot file: governance count FILE.blt --method M [--seats N] [--seed S]."""
    from governance.counting.cli import main as count_main

    sys.exit(count_main(list(arguments)))
