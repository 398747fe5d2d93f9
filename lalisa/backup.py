"""Back up and restore La-Lisa: ``python -m lalisa.backup create|restore``.

A backup is one folder ``<dest>/<UTC stamp>/`` holding

* the La-Lisa database: a consistent copy made with SQLite's online backup API (safe while the
  services run) or ``pg_dump --format=custom`` (one snapshot transaction);
* Rasa's tracker database (``TRACKER_DATABASE_URL``) the same way, unless it is the La-Lisa
  database itself (PostgreSQL default), which the first dump already contains;
* ``files.tar.gz``: the media folder and the complaint spool;
* ``manifest.json`` (what is where) and a note for whoever finds the folder.

Reporter identity stays encrypted inside the dumps. The identity key (``LALISA_IDENTITY_KEY``) is
deliberately **not** part of a backup: a stolen backup then reveals no reporter, and the key
must be kept separately (operator manual, 2.5), or the restored identities cannot be read.

Restoring (services stopped) writes the dumps into the configured databases, puts the files back,
moves PostgreSQL sequences past the restored rows and moves every year's ticket counter past the
highest restored number plus a margin: tickets issued after the backup was taken are not in it,
but their numbers were already given to citizens and must never be issued again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from lalisa.core.settings import get_settings
from lalisa.tickets.models import Ticket, TicketSequence
from lalisa_common.database import is_postgresql, to_async_url, to_sync_url
from lalisa_common.logs import configure_logging

logger = logging.getLogger(__name__)

BACKUP_FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
FILES_ARCHIVE: Final = "files.tar.gz"
NOTE_FILE: Final = "BACA-SAYA.txt"
DEFAULT_COUNTER_MARGIN: Final = 1000
"""Ticket numbers skipped after a restore, more than the tickets expected between two backups."""
DEFAULT_KEEP_DAYS: Final = 14
_STAMP_FORMAT: Final = "%Y%m%dT%H%M%SZ"
_STAMP_RE: Final = re.compile(r"^\d{8}T\d{6}Z$")
_PARTIAL_RE: Final = re.compile(r"^\.(\d{8}T\d{6}Z)\.")
_NUMBER_RE: Final = re.compile(r"^LLS-(\d{4})-(\d{6})$")
_TRACKER_SEQUENCE_SUFFIX: Final = "_seq"

NOTE_TEXT: Final = """\
Cadangan La-Lisa ({created_at})

Isi: basis data La-Lisa, basis data riwayat percakapan Rasa, foto/video bukti dan spool laporan.
Nomor WhatsApp dan nama pelapor di dalamnya TERENKRIPSI. Kunci identitas (LALISA_IDENTITY_KEY)
SENGAJA TIDAK disimpan di sini: simpan kunci itu terpisah (Petunjuk Teknis 2.5). Tanpa kunci
yang sama, identitas pelapor dari cadangan ini tidak dapat dibaca.

Memulihkan (layanan dihentikan dulu):
  .venv/bin/python -m lalisa.backup restore --from <folder ini>
"""


class BackupError(RuntimeError):
    """A backup or restore step failed; the message says which and why."""


@dataclass(frozen=True)
class DataLocations:
    """Where La-Lisa's data lives (the source of a backup, the target of a restore).

    Attributes:
        database_url: The La-Lisa database (``DATABASE_URL``).
        tracker_database_url: Rasa's tracker database (``TRACKER_DATABASE_URL``).
        media_dir: Media folder (``LALISA_MEDIA_DIR``).
        spool_dir: The complaint spool folder (``<LALISA_VAR_DIR>/spool``).
        timezone: The office time zone (ticket numbers carry the local year).
    """

    database_url: str
    tracker_database_url: str
    media_dir: Path
    spool_dir: Path
    timezone: str = "Asia/Makassar"


def configured_locations() -> DataLocations:
    """The locations of the running configuration (environment and ``.env``)."""
    settings = get_settings()
    return DataLocations(
        database_url=settings.database.url,
        tracker_database_url=settings.database.tracker_url,
        media_dir=settings.storage.media_dir,
        spool_dir=settings.storage.var_dir / "spool",
        timezone=settings.office.timezone,
    )


def _same_database(first: str, second: str) -> bool:
    return make_url(to_sync_url(first)) == make_url(to_sync_url(second))


def _sqlite_path(url: str) -> Path:
    database = make_url(to_sync_url(url)).database
    if not database or database == ":memory:":
        raise BackupError(f"not a SQLite file database: {make_url(url)!r}")
    return Path(database)


def _libpq_environment(url: str) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore as libpq variables.

    The password travels in the environment of the child process, never on its command line
    where every local user could read it in the process list.
    """
    parsed: URL = make_url(to_sync_url(url))
    env = dict(os.environ)
    settings = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": parsed.query.get("sslmode") or parsed.query.get("ssl"),
    }
    for name, value in settings.items():
        if isinstance(value, str) and value:
            env[name] = value
    return env


def _run_tool(argv: Sequence[str], url: str) -> None:
    tool = shutil.which(argv[0])
    if tool is None:
        raise BackupError(f"{argv[0]} not found: install the PostgreSQL client tools")
    result = subprocess.run(
        [tool, *argv[1:]],
        env=_libpq_environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()}")


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copies one SQLite database into another with the online backup API (page by page)."""
    source_connection = sqlite3.connect(source)
    try:
        target_connection = sqlite3.connect(target)
        try:
            source_connection.backup(target_connection)
            (result,) = target_connection.execute("PRAGMA integrity_check").fetchone()
            if result != "ok":
                raise BackupError(f"integrity check of {target.name} failed: {result}")
        finally:
            target_connection.close()
    finally:
        source_connection.close()


def _dump_database(url: str, folder: Path, name: str) -> dict[str, str]:
    """Dumps one database into ``folder``; returns its manifest entry."""
    if is_postgresql(url):
        filename = f"{name}.pgdump"
        _run_tool(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={folder / filename}",
            ],
            url,
        )
        return {"kind": "postgresql", "file": filename}
    path = _sqlite_path(url)
    if not path.exists():
        return {"kind": "absent"}
    filename = f"{name}.sqlite"
    _copy_sqlite(path, folder / filename)
    return {"kind": "sqlite", "file": filename}


def _archive_files(locations: DataLocations, archive: Path) -> list[str]:
    included = []
    with tarfile.open(archive, "w:gz") as tar:
        for arcname, directory in (("media", locations.media_dir), ("spool", locations.spool_dir)):
            if directory.is_dir():
                tar.add(directory, arcname=arcname)
                included.append(arcname)
    return included


def _secure_tree(folder: Path) -> None:
    folder.chmod(0o700)
    for path in folder.iterdir():
        path.chmod(0o600)


def create_backup(
    destination: Path, locations: DataLocations, *, now: datetime | None = None
) -> Path:
    """Writes a complete backup folder under ``destination``.

    The folder is assembled under a hidden name and renamed when complete, so a half-written
    backup (disk full, power cut) never looks like a usable one.

    Args:
        destination: Parent folder of the backups (created, mode 0700).
        locations: What to back up.
        now: The backup's time (tests); defaults to now.

    Returns:
        The new backup folder.

    Raises:
        BackupError: A dump failed.
    """
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    stamp = created.strftime(_STAMP_FORMAT)
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = destination / stamp
    if final.exists():
        raise BackupError(f"backup {final} already exists")
    work = Path(tempfile.mkdtemp(prefix=f".{stamp}.", dir=destination))
    try:
        database = _dump_database(locations.database_url, work, "lalisa")
        if _same_database(locations.database_url, locations.tracker_database_url):
            tracker: dict[str, str] = {"kind": "same-as-database"}
        else:
            tracker = _dump_database(locations.tracker_database_url, work, "tracker")
        files = _archive_files(locations, work / FILES_ARCHIVE)
        manifest: dict[str, Any] = {
            "format": BACKUP_FORMAT,
            "created_at": created.isoformat(),
            "database": database,
            "tracker": tracker,
            "files": {"file": FILES_ARCHIVE, "folders": files},
            "identity_key_included": False,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        (work / NOTE_FILE).write_text(
            NOTE_TEXT.format(created_at=created.isoformat()), encoding="utf-8"
        )
        _secure_tree(work)
        os.sync()
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    logger.info("Backup written to %s", final)
    return final


def prune_backups(destination: Path, keep_days: int, *, now: datetime | None = None) -> list[Path]:
    """Deletes backups older than ``keep_days``; the newest one always stays.

    Half-written folders of runs that died (hidden ``.<stamp>.*``) go once a day old.

    Returns:
        The deleted folders.
    """
    current = now or datetime.now(timezone.utc)
    stamped = sorted(
        (path for path in destination.iterdir() if path.is_dir() and _STAMP_RE.match(path.name)),
        key=lambda path: path.name,
    )
    removed = []
    for path in destination.iterdir():
        match = _PARTIAL_RE.match(path.name)
        if path.is_dir() and match:
            started = datetime.strptime(match[1], _STAMP_FORMAT).replace(tzinfo=timezone.utc)
            if current - started > timedelta(days=1):
                shutil.rmtree(path)
                removed.append(path)
    for path in stamped[:-1]:
        taken = datetime.strptime(path.name, _STAMP_FORMAT).replace(tzinfo=timezone.utc)
        if current - taken > timedelta(days=keep_days):
            shutil.rmtree(path)
            removed.append(path)
    return removed


def read_manifest(backup: Path) -> dict[str, Any]:
    """The manifest of a backup folder, checked for a known format."""
    path = backup / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup} is not a La-Lisa backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _restore_database(entry: Mapping[str, str], backup: Path, url: str) -> None:
    kind = entry["kind"]
    if kind == "absent":
        return
    source = backup / entry["file"]
    if kind == "postgresql":
        if not is_postgresql(url):
            raise BackupError("the backup holds a PostgreSQL dump but the target is not PostgreSQL")
        _run_tool(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={make_url(to_sync_url(url)).database}",
                str(source),
            ],
            url,
        )
        return
    if is_postgresql(url):
        raise BackupError("the backup holds a SQLite database but the target is PostgreSQL")
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(source, target)


def _restore_files(backup: Path, locations: DataLocations) -> None:
    archive = backup / FILES_ARCHIVE
    if not archive.is_file():
        return
    targets = {"media": locations.media_dir, "spool": locations.spool_dir}
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(archive, "r:gz") as tar:
            # The "data" filter refuses absolute paths, "..", links out of the tree and devices.
            tar.extractall(scratch, filter="data")
        for name, target in targets.items():
            unpacked = Path(scratch) / name
            if unpacked.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copytree(unpacked, target, dirs_exist_ok=True)


async def bump_postgresql_sequences(url: str) -> dict[str, int]:
    """Moves every sequence of the schema past the highest id of the table it numbers.

    ``pg_restore`` of a full dump sets them already; this makes a restore safe even when the
    data came without them (data-only restores, dumps edited by hand). Covers serial/identity
    columns and Rasa's ``events_seq`` (a free-standing ``<table>_seq`` for ``<table>.id``).

    Returns:
        Sequence name → the value the next row will get.
    """
    engine = create_async_engine(to_async_url(url), poolclass=NullPool)
    bumped: dict[str, int] = {}
    try:
        async with engine.begin() as connection:
            owned = (
                await connection.execute(
                    text(
                        "SELECT c.table_name, c.column_name, pg_get_serial_sequence("
                        "format('%I.%I', c.table_schema, c.table_name), c.column_name) "
                        "FROM information_schema.columns c "
                        "WHERE c.table_schema = current_schema() "
                        "AND pg_get_serial_sequence(format('%I.%I', c.table_schema, "
                        "c.table_name), c.column_name) IS NOT NULL"
                    )
                )
            ).all()
            pairs = [(str(table), str(column), str(sequence)) for table, column, sequence in owned]
            free = (
                await connection.execute(
                    text(
                        "SELECT s.relname, t.relname FROM pg_class s "
                        "JOIN pg_namespace n ON n.oid = s.relnamespace "
                        "JOIN pg_class t ON t.relname || :suffix = s.relname "
                        "AND t.relnamespace = s.relnamespace AND t.relkind = 'r' "
                        "WHERE s.relkind = 'S' AND n.nspname = current_schema() "
                        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = s.oid "
                        "AND d.deptype IN ('a', 'i'))"
                    ),
                    {"suffix": _TRACKER_SEQUENCE_SUFFIX},
                )
            ).all()
            pairs += [(str(table), "id", str(sequence)) for sequence, table in free]
            for table, column, sequence in pairs:
                bumped[sequence] = await _bump_one_sequence(connection, table, column, sequence)
    finally:
        await engine.dispose()
    return bumped


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _bump_one_sequence(
    connection: AsyncConnection, table: str, column: str, sequence: str
) -> int:
    highest = (
        await connection.execute(text(f"SELECT MAX({_quote(column)}) FROM {_quote(table)}"))
    ).scalar()
    following = int(highest or 0) + 1
    await connection.execute(
        text("SELECT setval(CAST(:sequence AS regclass), :value, false)"),
        {"sequence": sequence, "value": following},
    )
    return following


async def bump_ticket_counters(
    url: str, margin: int, *, current_year: int | None = None
) -> dict[int, int]:
    """Moves each year's ticket counter past its highest restored number plus ``margin``.

    Covers every year with a counter row or a ticket, and the current year (a backup from
    December restored in January still lost January's tickets).

    Args:
        url: The restored La-Lisa database.
        margin: Numbers to skip (tickets issued after the backup, whose numbers citizens have).
        current_year: The local year now (tests).

    Returns:
        Year → the counter's new last value (the next ticket gets one more).
    """
    if margin < 0:
        raise BackupError("the counter margin cannot be negative")
    engine = create_async_engine(to_async_url(url), poolclass=NullPool)
    sequence_table: Table = TicketSequence.__table__  # type: ignore[assignment]
    try:
        async with engine.begin() as connection:
            highest: dict[int, int] = {}
            for (number,) in (await connection.execute(select(Ticket.number))).all():
                match = _NUMBER_RE.match(str(number))
                if match:
                    year, value = int(match[1]), int(match[2])
                    highest[year] = max(highest.get(year, 0), value)
            counters = {
                int(year): int(last)
                for year, last in (
                    await connection.execute(select(TicketSequence.year, TicketSequence.last_value))
                ).all()
            }
            years = set(highest) | set(counters)
            if current_year is not None:
                years.add(current_year)
            result = {}
            for year in sorted(years):
                value = max(highest.get(year, 0), counters.get(year, 0)) + margin
                if year in counters:
                    await connection.execute(
                        sequence_table.update()
                        .where(sequence_table.c.year == year)
                        .values(last_value=value)
                    )
                else:
                    await connection.execute(
                        sequence_table.insert().values(year=year, last_value=value)
                    )
                result[year] = value
    finally:
        await engine.dispose()
    return result


async def restore_backup(
    backup: Path,
    locations: DataLocations,
    *,
    counter_margin: int = DEFAULT_COUNTER_MARGIN,
    now: datetime | None = None,
) -> dict[int, int]:
    """Restores a backup folder into ``locations``; run only with the services stopped.

    Returns:
        The new ticket counters (year → last value).

    Raises:
        BackupError: The backup does not fit the target (kind of database) or a step failed.
    """
    manifest = await asyncio.to_thread(read_manifest, backup)
    await asyncio.to_thread(_restore_data, manifest, backup, locations)
    for url in {locations.database_url, locations.tracker_database_url}:
        if is_postgresql(url):
            await bump_postgresql_sequences(url)
    current = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(locations.timezone))
    counters = await bump_ticket_counters(
        locations.database_url, counter_margin, current_year=current.year
    )
    logger.info("Restored %s; ticket counters now %s", backup.name, counters)
    return counters


def _restore_data(manifest: Mapping[str, Any], backup: Path, locations: DataLocations) -> None:
    _restore_database(manifest["database"], backup, locations.database_url)
    tracker = manifest["tracker"]
    if tracker["kind"] != "same-as-database":
        _restore_database(tracker, backup, locations.tracker_database_url)
    _restore_files(backup, locations)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``create`` (scheduled by lalisa-backup.timer) and ``restore``."""
    parser = argparse.ArgumentParser(prog="python -m lalisa.backup", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="write a new backup folder")
    create.add_argument("--dest", type=Path, required=True, help="parent folder of the backups")
    create.add_argument(
        "--keep-days",
        type=int,
        default=DEFAULT_KEEP_DAYS,
        help=f"delete backups older than this (default {DEFAULT_KEEP_DAYS}; 0 keeps all)",
    )
    restore = commands.add_parser("restore", help="restore a backup folder (services stopped)")
    restore.add_argument("--from", dest="source", type=Path, required=True)
    restore.add_argument(
        "--counter-margin",
        type=int,
        default=DEFAULT_COUNTER_MARGIN,
        help=f"ticket numbers to skip after the restore (default {DEFAULT_COUNTER_MARGIN})",
    )
    args = parser.parse_args(argv)
    configure_logging()
    locations = configured_locations()
    try:
        if args.command == "create":
            folder = create_backup(args.dest, locations)
            if args.keep_days > 0:
                for old in prune_backups(args.dest, args.keep_days):
                    logger.info("Deleted old backup %s", old.name)
            print(folder)
        else:
            counters = asyncio.run(
                restore_backup(args.source, locations, counter_margin=args.counter_margin)
            )
            for year, value in sorted(counters.items()):
                print(f"ticket counter {year}: next number {value + 1}")
    except BackupError as error:
        print(f"backup error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
