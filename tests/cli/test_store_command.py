"""``chronolex store verify`` and ``--check-store``: a damaged store is reported (exit 1) or
refused (exit 2), never read as data; a sound one passes (exit 0)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chronolex.cli.app import cli
from tests.conftest import HUABEI

EXAMPLES = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)
WHY = ["why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--bundle", BUNDLE]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHRONOLEX_DB", "CHRONOLEX_BUNDLE", "CHRONOLEX_CHECK_STORE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"
    assert run("ingest", "--db", str(path), "--bundle", BUNDLE, EXAMPLES).exit_code == 0
    return path


def test_a_sound_store_verifies_with_exit_0(db: Path) -> None:
    result = run("store", "verify", "--db", str(db))
    assert result.exit_code == 0
    assert result.stdout == f"{db}: sound (54 events in 1 batch; integrity check ok, every checksum matches)\n"


def test_a_changed_event_is_found_with_exit_1(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE events SET at = '2023' || substr(at, 5) WHERE rowid = 7")
    result = run("store", "verify", "--db", str(db))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{db}: damaged (1 problem; 54 events in 1 batch read)",
        "  problem: batch 1: the checksum of its 54 events does not match (a stored event was changed)",
    ]


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 100])
def test_a_file_that_is_not_a_store_is_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "other.db"
    path.write_bytes(content)
    result = run("store", "verify", "--db", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert "is not a chronolex event store" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_store_is_exit_2(tmp_path: Path) -> None:
    result = run("store", "verify", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def _damage_pages(db: Path, target: Path) -> Path:
    shutil.copyfile(db, target)
    data = bytearray(target.read_bytes())
    for offset in range(4096 + 8, 4096 + 40):   # inside the cell pointers of the second page
        data[offset] ^= 0xA5
    target.write_bytes(bytes(data))
    return target


def test_check_store_refuses_a_store_with_damaged_pages(db: Path, tmp_path: Path) -> None:
    damaged = _damage_pages(db, tmp_path / "damaged.db")
    result = run(*WHY, "--db", str(damaged), "--check-store")
    assert result.exit_code == 2 and "the store is damaged" in result.stderr and "Traceback" not in result.stderr
    assert run("store", "verify", "--db", str(damaged)).exit_code in (1, 2)
    sound = CliRunner().invoke(cli, [*WHY, "--db", str(db)], env={"CHRONOLEX_CHECK_STORE": "1"})
    assert sound.exit_code == 0, sound.stderr


def test_the_store_command_is_listed_with_its_summary() -> None:
    result = run("--help")
    assert "store" in result.stdout and "Check the embedded event store" in result.stdout


def test_ingest_with_check_store_refuses_to_append_to_a_damaged_store(db: Path, tmp_path: Path) -> None:
    damaged = _damage_pages(db, tmp_path / "damaged.db")
    before = damaged.read_bytes()
    result = run("ingest", "--db", str(damaged), "--check-store", "--bundle", BUNDLE, EXAMPLES)
    assert result.exit_code == 2 and "the store is damaged" in result.stderr
    assert damaged.read_bytes() == before


def test_a_store_of_no_accounts_refuses_every_account(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    db = tmp_path / "events.db"
    assert run("ingest", "--db", str(db), "--bundle", BUNDLE, str(empty)).stdout.startswith("ingested 0 events")
    result = run(*WHY, "--db", str(db))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"account 'acct-1001': the store {db} holds no accounts at all" in result.stderr
