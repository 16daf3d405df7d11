"""Importing the register from a CSV file: a dry run that reports every problem with its line and
column, then a commit that applies the whole file or nothing.

The file is streamed: rows are checked and written in batches while it is read, and only
compact per-member facts are held (see ``reconcile``), so a million-row file fits well within
a gigabyte. A commit writes while it reads and rolls everything back if any problem turns up,
so a good file is read once. One audit event records each committed import (file digest, counts,
who, whether absent members were lapsed); there is no event per member.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record
from governance.errors import Conflict, DomainError
from governance.i18n import _, ngettext
from governance.members.register_file import store
from governance.members.register_file.columns import (
    ColumnPlan,
    CsvTable,
    FileFacts,
    PlanError,
    UnreadableFile,
    UnreadableRow,
    column_targets,
    open_table,
    plan_columns,
    scan,
)
from governance.members.register_file.reconcile import Counts, Reconciler
from governance.members.register_file.rows import MemberRow, Problem, ProblemLog, RowChecker

__all__ = ["ImportRefused", "ImportReport", "Problem", "check_import", "commit_import", "summary"]


@dataclass(slots=True)
class ImportReport:
    """What a dry run found, or what a commit did."""

    digest: str = ""
    encoding: str = ""
    delimiter: str = ""
    columns: list[tuple[str, str]] = field(default_factory=list)  # (heading, field it fills)
    counts: Counts = field(default_factory=Counts)
    problems: ProblemLog = field(default_factory=ProblemLog)
    committed: bool = False
    lapsed: int = 0

    @property
    def ok(self) -> bool:
        return self.problems.total == 0


class ImportRefused(DomainError):
    """A commit found problems: nothing was stored. ``report`` lists them."""

    status_code = 422

    def __init__(self, report: ImportReport) -> None:
        total = report.problems.total
        super().__init__(
            ngettext(
                "The file has %(count)d problem; nothing was imported.",
                "The file has %(count)d problems; nothing was imported.",
                total,
            )
            % {"count": total}
        )
        self.report = report


@dataclass(slots=True)
class _Run:
    session: AsyncSession
    report: ImportReport
    table: CsvTable
    plan: ColumnPlan
    writer: store.RegisterWriter | None  # None for a dry run
    pending: asyncio.Task[None] | None = None  # the batch being written


def _file_facts(path: Path, report: ImportReport) -> FileFacts | None:
    try:
        facts = scan(path)
    except UnreadableFile as error:
        report.problems.add(1, "", str(error))
        return None
    report.digest, report.encoding = facts.digest, facts.encoding
    return facts


def _plan(table: CsvTable, mapping: Mapping[str, str] | None, report: ImportReport) -> ColumnPlan:
    report.delimiter = table.delimiter
    report.columns = column_targets(table.header, mapping)
    try:
        return plan_columns(table.header, mapping)
    except PlanError as error:
        for problem in error.problems:
            report.problems.add(table.header_line, "", problem)
        raise


async def _reconcile(run: _Run) -> Reconciler:
    """Check every row against the register, writing batches while no problem has turned up.

    Each batch is written by a task while the next batch is read and checked, so the database
    (SQLite's thread or the PostgreSQL server) works while Python parses: two cores, both busy.
    """
    register = await store.load_register(run.session, run.plan)
    reconciler = Reconciler(register, run.plan, run.report.problems)
    try:
        await _read_rows(run, reconciler)
        reconciler.finish()
        await _hand_over(reconciler, run)
    finally:
        if run.pending is not None:
            await run.pending  # never leave a write running on a session about to roll back
    run.report.counts = reconciler.counts
    return reconciler


async def _read_rows(run: _Run, reconciler: Reconciler) -> None:
    checker = RowChecker(run.plan, run.report.problems)
    try:
        for line, cells in run.table.records():
            row = checker.check(line, cells)
            if row is not None:
                reconciler.take(row)
            if len(reconciler.inserts) + len(reconciler.updates) >= store.BATCH:
                await _hand_over(reconciler, run)
            elif line % 1_000 == 0:
                await asyncio.sleep(0)  # let the writing task move its batch along
    except UnreadableRow as error:
        message = _("The file cannot be read from this line on: %(reason)s.")
        run.report.problems.add(error.line, "", message % {"reason": error.reason})


async def _hand_over(reconciler: Reconciler, run: _Run) -> None:
    """Wait for the previous batch's write, then start writing this one (nothing on a dry run
    or once a problem has turned up: the commit will be refused)."""
    if run.pending is not None:
        pending, run.pending = run.pending, None
        await pending
    inserts, updates = reconciler.inserts, reconciler.updates
    reconciler.inserts, reconciler.updates = [], []
    if run.writer is not None and run.report.ok:
        run.pending = asyncio.create_task(_write(run.writer, inserts, updates))
        await asyncio.sleep(0)


async def _write(
    writer: store.RegisterWriter,
    inserts: list[MemberRow],
    updates: list[tuple[int, str, MemberRow]],
) -> None:
    if inserts:
        await writer.insert(inserts)
    if updates:
        await writer.update(updates)


async def _read(
    session: AsyncSession,
    path: Path,
    mapping: Mapping[str, str] | None,
    report: ImportReport,
    *,
    write: bool,
    digest: str | None = None,
) -> Reconciler | None:
    """Run the file through the checks; with ``write``, apply it in the open transaction."""
    if _file_facts(path, report) is None:
        return None
    if digest is not None and report.digest != digest:
        raise Conflict(_("The file changed after it was checked. Upload it again."))
    table = open_table(path, report.encoding)
    with table.stream:
        try:
            plan = _plan(table, mapping, report)
        except PlanError:
            return None
        writer = None
        if write:
            await store.lock_register(session)
            writer = store.writer_for(session, plan, clock.now())
        run = _Run(session, report, table, plan, writer)
        reconciler = await _reconcile(run)
        if writer is not None and report.ok:
            await writer.finish()
        return reconciler


async def check_import(
    session: AsyncSession, path: Path, mapping: Mapping[str, str] | None = None
) -> ImportReport:
    """The dry run: every problem and the counts, with nothing stored."""
    report = ImportReport()
    await _read(session, path, mapping, report, write=False)
    return report


async def commit_import(
    session: AsyncSession,
    path: Path,
    *,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    lapse_absent: bool = False,
    expected_digest: str | None = None,
) -> ImportReport:
    """Apply the file in one transaction, or raise ImportRefused having stored nothing.

    ``expected_digest`` is the digest the dry run showed: a file that changed since is refused.
    """
    report = ImportReport()
    try:
        async with store.import_cache(session):
            reconciler = await _read(
                session, path, mapping, report, write=True, digest=expected_digest
            )
            if reconciler is None or not report.ok:
                raise ImportRefused(report)
            if lapse_absent:
                ids = list(reconciler.absent_active_ids())
                report.lapsed = await store.lapse_members(session, ids, clock.now())
            await _audit(session, report, actor, lapse_absent)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    report.committed = True
    return report


async def _audit(session: AsyncSession, report: ImportReport, actor: str, lapse: bool) -> None:
    counts = report.counts
    await record(
        session,
        action="members.imported",
        actor=actor,
        subject="register",
        payload={
            "sha256": report.digest,
            "rows": counts.rows,
            "new": counts.new,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "absent": counts.absent,
            "lapse_absent": lapse,
            "lapsed": report.lapsed,
        },
    )


def summary(report: ImportReport) -> list[str]:
    """The report as lines of text: one per problem, then the counts (the command line's output)."""
    lines = [str(problem) for problem in report.problems.listed]
    hidden = report.problems.total - len(report.problems.listed)
    if hidden:
        lines.append(
            _("… and %(hidden)d more problems (%(total)d in all).")
            % {"hidden": hidden, "total": report.problems.total}
        )
    counts = report.counts
    lines.append(
        _(
            "%(rows)d rows: %(new)d new, %(changed)d changed, %(unchanged)d unchanged. "
            "%(absent)d members on the register are not in the file (%(active)d of them active)."
        )
        % {
            "rows": counts.rows, "new": counts.new, "changed": counts.changed,
            "unchanged": counts.unchanged, "absent": counts.absent, "active": counts.absent_active,
        }
    )  # fmt: skip
    if report.committed:
        lines.append(_("Imported; %(lapsed)d absent members lapsed.") % {"lapsed": report.lapsed})
    elif not report.ok:
        total = report.problems.total
        lines.append(
            ngettext(
                "%(count)d problem: nothing was imported.",
                "%(count)d problems: nothing was imported.",
                total,
            )
            % {"count": total}
        )
    return lines
