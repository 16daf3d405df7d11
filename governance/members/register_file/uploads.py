"""Uploaded register files, kept on the server between the dry run and the commit.

Each file is named by the SHA-256 digest of its bytes, so the commit form carries only the
digest (64 hex digits, checked before it becomes a path) and the commit checks the bytes still
have that digest. A file is deleted once imported; files nobody committed go after a day.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from pathlib import Path
from typing import Protocol

from governance.config import DEFAULT_DATA_DIR
from governance.errors import NotFound
from governance.i18n import _

_DIGEST = re.compile(r"[0-9a-f]{64}")
KEEP_SECONDS = 24 * 3600
CHUNK = 1 << 20


class Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


def uploads_folder() -> Path:
    """Where uploads wait: ``imports/`` in the data folder.

    Settings has no data-folder field yet, so this reads the same variable and default that
    ``Settings.from_env`` uses for the secret key and the SQLite file.
    """
    return Path(os.environ.get("GOVERNANCE_DATA_DIR", str(DEFAULT_DATA_DIR))) / "imports"


def _forget_stale(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.glob("*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


async def keep(upload: Readable, folder: Path | None = None) -> str:
    """Save an upload under its digest (streamed, never whole in memory); returns the digest."""
    folder = folder or uploads_folder()
    folder.mkdir(parents=True, exist_ok=True)
    _forget_stale(folder)
    partial = folder / f"upload-{secrets.token_hex(8)}.part"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as stream:
            while chunk := await upload.read(CHUNK):
                digest.update(chunk)
                stream.write(chunk)
        name = digest.hexdigest()
        partial.replace(folder / f"{name}.csv")
    finally:
        partial.unlink(missing_ok=True)
    return name


def kept(digest: str, folder: Path | None = None) -> Path:
    """The kept file for ``digest``, or NotFound (it was imported, expired, or never existed)."""
    path = (folder or uploads_folder()) / f"{digest}.csv"
    if not _DIGEST.fullmatch(digest) or not path.is_file():
        raise NotFound(_("That upload is no longer here: upload the file again."))
    return path


def discard(digest: str, folder: Path | None = None) -> None:
    if _DIGEST.fullmatch(digest):
        ((folder or uploads_folder()) / f"{digest}.csv").unlink(missing_ok=True)
