"""Passwords are hashed with argon2id at RFC 9106's parameters unless a test swaps the hasher."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher, Type

from governance.security import passwords

# RFC 9106 §4, second recommended option: 64 MiB, three passes, four lanes.
PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


def test_an_unconfigured_process_hashes_with_argon2id_at_rfc_9106_parameters() -> None:
    """A fresh interpreter, because this test run swaps in a cheap hasher for every test."""
    hasher = passwords.PRODUCTION_HASHER
    assert hasher.type is Type.ID
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    script = (
        "from governance.security import passwords as p\n"
        "h = p.hash_password('correct horse battery')\n"
        "assert p.verify_password(h, 'correct horse battery') and not p.needs_rehash(h)\n"
        "print(h)\n"
    )
    # The package this test imported, not whichever copy the interpreter would find first.
    source = str(Path(passwords.__file__).resolve().parents[2])
    environment = {**os.environ, "PYTHONPATH": source}
    hashed = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=environment
    ).stdout.strip()
    assert hashed.startswith(PRODUCTION_PREFIX)


def test_a_hash_with_other_parameters_verifies_and_asks_for_a_rehash() -> None:
    current = passwords.hash_password("correct horse battery")
    assert current.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # the tests' cheap profile
    other = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash("correct horse battery")
    assert passwords.verify_password(other, "correct horse battery")
    assert not passwords.verify_password(other, "wrong horse battery")
    assert passwords.needs_rehash(other) and not passwords.needs_rehash(current)
