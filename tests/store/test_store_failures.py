"""The store fails safe: a bad object fails its own write, a full disk makes it read-only until space
returns, and a state file that is empty, corrupt or unreadable stops it with one clear line."""

from __future__ import annotations

import sqlite3

import anyio
import pytest

from karmadad.errors import BadRequest, RequestEntityTooLarge, ServiceUnavailable
from karmadad.store import Query, open_store
from karmadad.store import store as store_module
from karmadad.store.sqlite import StorageError
from karmadad.store.store import MAX_OBJECT_BYTES, Store
from tests.store.conftest import configmap

pytestmark = pytest.mark.anyio


async def test_an_object_without_a_json_form_fails_only_its_own_write(store):
    before = store.revision
    with pytest.raises(BadRequest, match="cannot be stored"):
        await store.create("configmaps", configmap("bad", data={"k": "\ud800"}))
    good = await store.create("configmaps", configmap("good"))
    assert int(good["metadata"]["resourceVersion"]) == before + 1  # no revision was used up
    assert store.find("configmaps", "default", "bad") is None
    assert store.latest("configmaps", "default", "bad") is None


async def test_an_object_larger_than_etcd_takes_is_413(store):
    with pytest.raises(RequestEntityTooLarge) as error:
        await store.create("configmaps", configmap("big", data={"k": "x" * MAX_OBJECT_BYTES}))
    assert error.value.status()["code"] == 413
    with pytest.raises(RequestEntityTooLarge):
        await store.create("configmaps", configmap("big", data={"k": "x" * MAX_OBJECT_BYTES}), dry_run=True)
    await store.create("configmaps", configmap("fits", data={"k": "x" * (MAX_OBJECT_BYTES - 1000)}))


async def test_a_full_disk_makes_the_store_read_only_until_space_returns(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "WRITABLE_PROBE_INTERVAL", 0.05)
    async with open_store(tmp_path / "state.db") as store:
        acknowledged = [await store.create("configmaps", configmap(f"before-{i}")) for i in range(5)]
        db = store._file._db
        (pages,) = await (await db.execute("PRAGMA page_count")).fetchone()
        await db.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own SQLITE_FULL, as on a full disk
        revision = store.revision

        async def write(i: int) -> BaseException | None:
            try:
                await store.create("configmaps", configmap(f"during-{i}", data={"k": "x" * 20_000}))
            except ServiceUnavailable as error:
                return error
            return None

        results: list = []
        async with anyio.create_task_group() as tasks:
            for i in range(20):
                tasks.start_soon(lambda i=i: _collect(results, write(i)))
        assert results and all(isinstance(r, ServiceUnavailable) for r in results)
        assert "disk is full" in results[0].message
        assert not store.writable and store.revision == revision
        assert store.list(Query("configmaps", "default")).items == acknowledged  # reads go on
        assert store.latest("configmaps", "default", "during-0") is None  # nothing half-written
        with pytest.raises(ServiceUnavailable):
            await store.create("configmaps", configmap("refused"))

        await db.execute("PRAGMA max_page_count=1073741823")  # space returns
        with anyio.fail_after(10):
            while not store.writable:  # noqa: ASYNC110 (the store probes by itself; nothing can wake us sooner)
                await anyio.sleep(0.02)
        created = await store.create("configmaps", configmap("after"))
        assert int(created["metadata"]["resourceVersion"]) == revision + 1

    async with open_store(tmp_path / "state.db") as reopened:
        names = {o["metadata"]["name"] for o in reopened.list(Query("configmaps", "default")).items}
        assert names == {f"before-{i}" for i in range(5)} | {"after"}


async def _collect(results: list, awaitable) -> None:
    results.append(await awaitable)


async def test_a_zero_byte_state_file_is_refused(tmp_path):
    path = tmp_path / "state.db"
    path.touch()
    with pytest.raises(StorageError, match=r"is empty \(0 bytes\) where karmadad's state was expected"):
        await Store.open(path)
    assert path.stat().st_size == 0  # left as found


async def test_a_missing_state_file_is_created_private_and_whole(tmp_path):
    path = tmp_path / "state.db"
    async with open_store(path) as store:
        await store.create("configmaps", configmap("a"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob("*.new*"))


async def test_a_corrupt_state_file_is_refused_with_one_line(tmp_path):
    path = tmp_path / "state.db"
    async with open_store(path) as store:
        for i in range(200):
            await store.create("configmaps", configmap(f"cm-{i}", data={"k": "v" * 500}))
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 61):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="corrupt") as error:
        await Store.open(path)
    assert "\n" not in str(error.value)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"definitely not SQLite\n" * 300)
    with pytest.raises(StorageError, match="corrupt"):
        await Store.open(path)


async def test_a_state_directory_in_place_of_the_file_is_refused(tmp_path):
    (tmp_path / "state.db").mkdir()  # as unreadable as a file can be, even for root
    with pytest.raises(StorageError, match="cannot read the database"):
        await Store.open(tmp_path / "state.db")


async def test_a_missing_database_beside_its_log_is_refused(tmp_path):
    path = tmp_path / "state.db"
    (tmp_path / "state.db-wal").write_bytes(b"\0" * 100)
    with pytest.raises(StorageError, match="write-ahead log"):
        await Store.open(path)


async def test_a_missing_log_after_a_clean_stop_loses_nothing(tmp_path):
    path = tmp_path / "state.db"
    async with open_store(path) as store:
        for i in range(50):
            await store.create("configmaps", configmap(f"cm-{i}"))
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"state.db{suffix}").unlink(missing_ok=True)
    async with open_store(path) as store:
        assert len(store.list(Query("configmaps", "default")).items) == 50


def test_sqlite_reports_a_full_database_with_its_error_code(tmp_path):
    """What ``disk_full`` relies on: Python exposes SQLite's error code on the exception."""
    from karmadad.store.sqlite import disk_full

    db = sqlite3.connect(tmp_path / "x.db")
    db.execute("CREATE TABLE t (v TEXT)")
    db.execute("PRAGMA max_page_count=3")
    with pytest.raises(sqlite3.OperationalError) as error:
        for _ in range(100):
            db.execute("INSERT INTO t VALUES (?)", ("x" * 4000,))
    assert disk_full(error.value)
