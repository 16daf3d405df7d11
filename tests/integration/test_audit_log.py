"""The audit table on a real database: append-only triggers, same-transaction writes, no forks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance.audit import chain, service
from governance.audit.models import AuditEvent, election_chain
from governance.config import Settings
from governance.db import create_engine


async def _exported(session: AsyncSession, name: str) -> list[dict[str, object]]:
    return [service.as_exported(event) async for event in service.events(session, name)]


async def test_recorded_events_export_and_verify(db: AsyncSession) -> None:
    for number in range(3):
        await service.record(db, action="test.step", actor="ro@example.org", payload={"n": number})
    await db.commit()
    exported = await _exported(db, "platform")
    verdict = chain.verify(exported)
    assert verdict.ok and verdict.events == 3
    assert (await service.head(db, "platform")) == (3, verdict.head)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ],
)
async def test_the_database_refuses_to_change_or_delete_audit_events(
    db: AsyncSession, statement: str
) -> None:
    await service.record(db, action="test.step", actor="ro@example.org")
    await db.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text(statement))
    await db.rollback()
    assert len(await _exported(db, "platform")) == 1


async def test_an_event_rolls_back_with_the_change_it_records(db: AsyncSession) -> None:
    await service.record(db, action="test.kept", actor="ro@example.org")
    await db.commit()
    await service.record(db, action="test.discarded", actor="ro@example.org")
    await db.rollback()
    actions = [event["action"] for event in await _exported(db, "platform")]
    assert actions == ["test.kept"]


async def test_secrets_are_refused_in_payloads(db: AsyncSession) -> None:
    with pytest.raises(ValueError, match="secrets"):
        await service.record(db, action="x", actor=None, payload={"password": "hunter2"})


async def test_the_same_sequence_number_cannot_be_written_twice(db: AsyncSession) -> None:
    event = await service.record(db, action="test.first", actor=None)
    await db.commit()
    db.add(
        AuditEvent(
            chain=event.chain,
            seq=event.seq,
            prev_hash=event.prev_hash,
            hash=event.hash,
            occurred_at=event.occurred_at,
            actor=None,
            action="forked",
            subject=None,
            payload={},
        )
    )
    with pytest.raises(IntegrityError):
        await db.flush()
    await db.rollback()


async def test_concurrent_writers_never_fork_a_chain(settings: Settings) -> None:
    """Many transactions append to one chain at once; the chain stays one unbroken line."""
    engine = (
        create_engine(settings.database_url, pool_size=10, max_overflow=0)
        if not settings.database_url.startswith("sqlite")
        else create_engine(settings.database_url)
    )
    make_session = async_sessionmaker(engine, expire_on_commit=False)
    name = election_chain("concurrent")

    async def writer(number: int) -> None:
        async with make_session() as session:
            await service.record(
                session,
                action="test.concurrent",
                actor=None,
                payload={"writer": number},
                chain=name,
            )
            await asyncio.sleep(0.01)  # hold the transaction open while others try
            await session.commit()

    await asyncio.gather(*(writer(n) for n in range(20)))
    async with make_session() as session:
        exported = await _exported(session, name)
    await engine.dispose()
    assert [event["seq"] for event in exported] == list(range(1, 21))
    assert chain.verify(exported).ok
    assert sorted(event["payload"]["writer"] for event in exported) == list(range(20))  # type: ignore[index]


def _cli(
    *arguments: str, settings: Settings, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    env = {
        **os.environ,
        "GOVERNANCE_DATABASE_URL": settings.database_url,
        "GOVERNANCE_SECRET_KEY": settings.secret_key,
    }
    return subprocess.run(
        [sys.executable, "-m", "governance", *arguments],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )


async def test_cli_export_then_verify_names_the_event_with_one_changed_byte(
    db: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    for number in range(4):
        await service.record(db, action="test.step", actor="ro@example.org", payload={"n": number})
    await db.commit()
    exported = _cli("audit", "export", settings=settings)
    assert exported.returncode == 0, exported.stderr
    good = tmp_path / "chain.jsonl"
    good.write_text(exported.stdout, encoding="utf-8")
    verified = _cli("audit", "verify", str(good), settings=settings)
    assert verified.returncode == 0
    head = (await service.head(db, "platform"))[1]
    assert verified.stdout.strip() == f"OK: 4 events, head {head}"

    lines = exported.stdout.splitlines()
    lines[2] = lines[2].replace('"n":2', '"n":3')
    bad = tmp_path / "tampered.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken = _cli("audit", "verify", str(bad), settings=settings)
    assert broken.returncode == 1
    assert "BROKEN at event 3" in broken.stderr
