"""The durable half of the object store: one SQLite file in WAL mode.

It holds the latest state of every object and the global revision counter, nothing else: the
in-memory store keeps the working copy and the watch history, and calls :meth:`SQLiteFile.commit`
with whole batches (group commit), so a transaction carries many writes and one fsync. The schema
is versioned with ``PRAGMA user_version`` and migrated forward on open.

The file fails safe. A new database is built beside its final name and renamed into place, so a
file at that name always held a schema: an empty, unreadable or corrupt one means state that is
expected is not there, and opening it raises :class:`StorageError` with one line saying so, never an
empty control plane. A full disk is told apart (:func:`disk_full`) because it passes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Literal

import aiosqlite
import orjson

Durability = Literal["full", "normal"]

# Each entry migrates the schema from version i to i + 1; never edit a released entry, append.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE objects (
             resource  TEXT    NOT NULL,
             namespace TEXT    NOT NULL,
             name      TEXT    NOT NULL,
             revision  INTEGER NOT NULL,
             data      TEXT    NOT NULL,
             PRIMARY KEY (resource, namespace, name)
           ) WITHOUT ROWID""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
        "INSERT INTO meta (key, value) VALUES ('revision', 0)",
        # A whole batch is applied by inserting one row into this view: one statement, so one
        # round trip to SQLite's thread and one implicit transaction, however many objects it holds.
        # The objects travel inside the batch's JSON; json_extract gives each back as its JSON text.
        "CREATE VIEW batch AS SELECT 0 AS revision, '[]' AS puts, '[]' AS deletes",
        """CREATE TRIGGER apply_batch INSTEAD OF INSERT ON batch
           BEGIN
             INSERT OR REPLACE INTO objects (resource, namespace, name, revision, data)
               SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                      json_extract(value, '$[3]'), json_extract(value, '$[4]')
               FROM json_each(NEW.puts);
             DELETE FROM objects WHERE (resource, namespace, name) IN (
               SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
               FROM json_each(NEW.deletes));
             UPDATE meta SET value = NEW.revision WHERE key = 'revision';
           END""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)

Row = tuple[str, str, str, int, bytes]  # resource, namespace, name, revision, the object's JSON
StoredObject = tuple[str, str, str, int, dict]

_START_FRESH = "move it away, with its -wal and -shm files, to start with an empty control plane"


class StorageError(RuntimeError):
    """The state file cannot be used; the message is one line for the operator."""


class SchemaTooNew(StorageError):
    pass


def disk_full(error: BaseException) -> bool:
    """Whether SQLite failed for want of space (SQLITE_FULL), which passes once space returns."""
    return (
        isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    )


def full_disk_error() -> sqlite3.OperationalError:
    """The error SQLite gives when it runs out of space, for a disk found full before it did."""
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    return error


async def _one_row(db: aiosqlite.Connection, sql: str) -> sqlite3.Row:
    """The first row ``sql`` answers; none at all (e.g. the revision row gone) is a damaged database."""
    row = await (await db.execute(sql)).fetchone()
    if row is None:
        raise sqlite3.DatabaseError(f"no row for {sql!r}")
    return row


def _unusable(path: Path, error: BaseException) -> StorageError:
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        return StorageError(
            f"{path}: the database is corrupt ({error}); restore it from a backup or {_START_FRESH}"
        )
    return StorageError(f"{path}: cannot read the database ({error})")


class SQLiteFile:
    def __init__(self, db: aiosqlite.Connection, checkpointer: aiosqlite.Connection, path: Path):
        self._db = db
        self._checkpointer = checkpointer
        self.path = path

    @classmethod
    async def open(cls, path: Path, *, durability: Durability = "normal") -> SQLiteFile:
        """Open (creating with mode 0600 when absent) and migrate the database at ``path``."""
        if _must_create(path):
            await _create(path)
        return await cls._connect(path, durability)

    @classmethod
    async def _connect(cls, path: Path, durability: Durability) -> SQLiteFile:
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise _unusable(path, error) from None
        checkpointer = None
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a killed process; FULL also survives power loss.
            await db.execute(f"PRAGMA synchronous={durability.upper()}")
            await db.execute("PRAGMA busy_timeout=5000")
            # Checkpoints copy the WAL back into the database and can take tens of milliseconds:
            # a second connection does them beside the writer instead of inside its commits.
            await db.execute("PRAGMA wal_autocheckpoint=0")
            checkpointer = await aiosqlite.connect(path, isolation_level=None)
            await checkpointer.execute("PRAGMA busy_timeout=5000")
            file = cls(db, checkpointer, path)
            await file._migrate()
        except BaseException as error:
            await db.close()
            if checkpointer is not None:
                await checkpointer.close()
            if isinstance(error, sqlite3.Error):
                raise _unusable(path, error) from None
            raise
        return file

    async def _migrate(self) -> None:
        (version,) = await _one_row(self._db, "PRAGMA user_version")
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.path}: schema version {version} is newer than this karmadad knows ({SCHEMA_VERSION})"
            )
        for target in range(version, SCHEMA_VERSION):
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target]:
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version={target + 1}")
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    async def load(self) -> tuple[int, list[StoredObject]]:
        """The stored revision and every object; a database that cannot be read whole raises StorageError."""
        try:
            (revision,) = await _one_row(self._db, "SELECT value FROM meta WHERE key='revision'")
            cursor = await self._db.execute("SELECT resource, namespace, name, revision, data FROM objects")
            rows = await cursor.fetchall()
        except sqlite3.Error as error:
            raise _unusable(self.path, error) from None
        try:
            return revision, [(r, ns, name, rev, json.loads(data)) for r, ns, name, rev, data in rows]
        except ValueError as error:
            raise _unusable(self.path, sqlite3.DatabaseError(f"an object is not JSON: {error}")) from None

    async def commit(self, revision: int, puts: list[Row], deletes: list[tuple[str, str, str]]) -> None:
        """Write one batch atomically: the final state of each touched key and the new revision."""
        rows = [(r, ns, name, rev, orjson.Fragment(data)) for r, ns, name, rev, data in puts]
        await self._db.execute(
            "INSERT INTO batch (revision, puts, deletes) VALUES (?, ?, ?)",
            (revision, orjson.dumps(rows).decode(), orjson.dumps(deletes).decode()),
        )

    async def probe_write(self) -> None:
        """A write that changes nothing but needs space for a new page: raises while the disk is full."""
        await self._db.execute("UPDATE meta SET value = value WHERE key = 'revision'")

    async def checkpoint(self) -> None:
        """Copy committed WAL frames into the database file without blocking the writer."""
        await self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def integrity_check(self) -> str:
        (result,) = await _one_row(self._db, "PRAGMA integrity_check")
        return result

    async def close(self) -> None:
        await self._checkpointer.close()
        await self._db.close()


def _must_create(path: Path) -> bool:
    """Whether ``path`` is to be created; raises when a file there cannot hold karmadad's state."""
    if path.exists():
        if path.is_file() and path.stat().st_size == 0:
            raise StorageError(
                f"{path} is empty (0 bytes) where karmadad's state was expected; {_START_FRESH}"
            )
        return False
    if Path(f"{path}-wal").exists():
        raise StorageError(f"{path} is missing but its write-ahead log {path}-wal is there; {_START_FRESH}")
    return True


async def _create(path: Path) -> None:
    """A new, migrated database, built beside ``path`` and renamed into place (private: mode 0600)."""
    building = Path(f"{path}.new")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    # Created private before SQLite opens it (its -wal and -shm files copy these permissions).
    os.close(os.open(building, os.O_CREAT | os.O_WRONLY, 0o600))
    file = await SQLiteFile._connect(building, "full")
    await file.close()  # the last connection closing folds the WAL into the file
    os.replace(building, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
