"""The durable half of the object store: one SQLite file in WAL mode.

It holds the latest state of every object and the global revision counter, nothing else: the
in-memory store keeps the working copy and the watch history, and calls :meth:`SQLiteFile.commit`
with whole batches (group commit), so a transaction carries many writes and one fsync. The schema
is versioned with ``PRAGMA user_version`` and migrated forward on open.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import aiosqlite

from karmadad.jsonvalue import encode

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

Row = tuple[str, str, str, int, dict]  # resource, namespace, name, revision, object


class SchemaTooNew(RuntimeError):
    pass


class SQLiteFile:
    def __init__(self, db: aiosqlite.Connection, checkpointer: aiosqlite.Connection, path: Path):
        self._db = db
        self._checkpointer = checkpointer
        self.path = path

    @classmethod
    async def open(cls, path: Path, *, durability: Durability = "normal") -> SQLiteFile:
        """Open (creating with mode 0600) and migrate the database at ``path``."""
        # Create it private before SQLite does (its -wal and -shm files copy these permissions).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        db = await aiosqlite.connect(path, isolation_level=None)
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
        except BaseException:
            await db.close()
            if checkpointer is not None:
                await checkpointer.close()
            raise
        return file

    async def _migrate(self) -> None:
        (version,) = await (await self._db.execute("PRAGMA user_version")).fetchone()
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

    async def load(self) -> tuple[int, list[Row]]:
        """The stored revision and every object row."""
        (revision,) = await (await self._db.execute("SELECT value FROM meta WHERE key='revision'")).fetchone()
        cursor = await self._db.execute("SELECT resource, namespace, name, revision, data FROM objects")
        return revision, list(await cursor.fetchall())

    async def commit(self, revision: int, puts: list[Row], deletes: list[tuple[str, str, str]]) -> None:
        """Write one batch atomically: the final state of each touched key and the new revision."""
        await self._db.execute(
            "INSERT INTO batch (revision, puts, deletes) VALUES (?, ?, ?)",
            (revision, encode(puts).decode(), encode(deletes).decode()),
        )

    async def checkpoint(self) -> None:
        """Copy committed WAL frames into the database file without blocking the writer."""
        await self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def integrity_check(self) -> str:
        (result,) = await (await self._db.execute("PRAGMA integrity_check")).fetchone()
        return result

    async def close(self) -> None:
        await self._checkpointer.close()
        await self._db.close()
