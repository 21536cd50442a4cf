"""One writer at a time: ``build``, ``index`` and ``crime`` on one store never lose each other's work.

Every writer takes the store's lock (``<db>.lock``) for the whole command, writes a new
file beside the store and replaces it (:mod:`needsmap.store.writer`). These tests run the
real commands as subprocesses on a copy of the real Blackpool store, with real police.uk
months from the mirror, and the app (``needsmap.serve.AppProcess``) serving the store.

Before this rule, ``crime`` beside ``index`` exited 0 twice and lost the index weights,
and ``index`` could not run while the app had the store open.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from needsmap.settings import REPO_ROOT
from needsmap.store.writer import (
    StoreBusy,
    StoreWriteError,
    lock_path,
    new_store,
    update_store,
    writer_lock,
)

WEIGHTS = "child_poverty=0.7,income=0.3"


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture()
def store(blackpool_store: Path, tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(blackpool_store, db)
    return db


def state(db: Path) -> dict[str, object]:
    """What each writer changes: the index config (index) and the crime months (crime)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cfg = dict(con.execute("SELECT key, value FROM ace_config").fetchall())
        months = con.execute("SELECT police_force, count(*) FROM crime_coverage GROUP BY 1 "
                             "ORDER BY 1").fetchall()
        ace = con.execute("SELECT md5(string_agg(ward_code || ':' || ace_score, ',' "
                          "ORDER BY ward_code)) FROM ward_ace").fetchone()[0]
    finally:
        con.close()
    return {"method": cfg["method"], "weights": json.loads(cfg["weights"]), "months": months,
            "ward_ace": ace}


def start(args: list[str], mirror: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, NEEDSMAP_MIRROR=str(mirror))
    return subprocess.Popen([sys.executable, "-m", "needsmap.cli", *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, " ".join(err.split())


def wait_for_lock(db: Path, p: subprocess.Popen[str], timeout: float = 180) -> None:
    """Return once process ``p`` holds the store's writer lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert p.poll() is None, f"the first writer ended early: {finish(p)}"
        try:
            if json.loads(lock_path(db).read_text() or "{}").get("pid") == p.pid:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    pytest.fail("the first writer never took the lock")


def crime_args(db: Path, mirror: Path) -> list[str]:
    months = [mirror / f"crime/police_uk/2022-0{m}" for m in (5, 6)]
    return ["crime", "--db", str(db), *map(str, months)]


def index_args(db: Path, *extra: str) -> list[str]:
    return ["index", "--db", str(db), "--method", "weighted", "--weights", WEIGHTS, "--top", "3",
            *extra]


# -- the commands, at the same time ---------------------------------------------------------

def second(args: list[str], capfd) -> tuple[int, str, str]:  # noqa: ANN001 - pytest fixture
    """Run the second writer in this process (no start-up delay: it meets the first's lock)."""
    from needsmap.cli import main

    capfd.readouterr()
    rc = main(args)
    cap = capfd.readouterr()
    return rc, cap.out, " ".join(cap.err.split())


@pytest.mark.parametrize("first", ["crime", "index"])
def test_crime_and_index_at_once_both_changes_survive(store, mirror, first, capfd, monkeypatch,
                                                      report_figure):
    monkeypatch.setenv("NEEDSMAP_MIRROR", str(mirror))
    before = state(store)
    assert before["months"] != [("lancashire", 2)] and before["method"] != "weighted"
    a, b = (crime_args(store, mirror), index_args(store))
    if first == "index":
        a, b = b, a
    p1 = start(a, mirror)
    wait_for_lock(store, p1)
    rc2, _, err2 = second(b, capfd)  # while the first holds the lock
    rc1, _, err1 = finish(p1)
    assert (rc1, rc2) == (0, 0), (err1[-1500:], err2[-1500:])
    assert f"waiting for 'needsmap {first}' (pid {p1.pid}" in err2
    after = state(store)
    assert after["months"] == [("lancashire", 2)], "crime's reload was lost"
    assert after["method"] == "weighted", "index's method was lost"
    assert after["weights"] == {"child_poverty": 0.7, "income": 0.3}, "index's weights were lost"
    assert sorted(p.name for p in store.parent.iterdir()) == ["store.duckdb", "store.duckdb.lock"]
    report_figure(f"writers: {first} then {'index' if first == 'crime' else 'crime'} at once "
                  "-> both exit 0, both changes in the store (the second waited)")


def test_second_writer_with_no_wait_fails_clearly_and_loses_nothing(store, mirror, capfd,
                                                                   monkeypatch):
    monkeypatch.setenv("NEEDSMAP_MIRROR", str(mirror))
    before = state(store)
    p1 = start(crime_args(store, mirror), mirror)
    wait_for_lock(store, p1)
    rc2, out2, err2 = second(index_args(store, "--wait", "0"), capfd)
    rc1, _, err1 = finish(p1)
    assert rc1 == 0, err1[-1500:]
    assert rc2 == 1, out2 + err2
    assert f"is being written by 'needsmap crime' (pid {p1.pid}" in err2
    assert "nothing was written" in err2 and "untouched" in err2 and "Traceback" not in err2
    assert "written to" not in out2  # index reports no success
    after = state(store)
    assert after["months"] == [("lancashire", 2)]
    assert (after["method"], after["ward_ace"]) == (before["method"], before["ward_ace"])


def test_build_during_index_with_no_wait_fails_clearly(store, mirror, tmp_path, capfd):
    """A rebuild started during ``index`` with ``--wait 0`` fails at once and says why."""
    p1 = start(index_args(store), mirror)
    wait_for_lock(store, p1)
    rc2, _, err2 = second(["build", "--db", str(store), "--la", "Blackpool", "--mirror",
                           str(mirror), "--cache", str(tmp_path / "cache"), "--offline",
                           "--wait", "0"], capfd)
    assert rc2 == 1 and "is being written by 'needsmap index'" in err2, err2[-1500:]
    assert "previous store" in err2 and "untouched" in err2
    assert finish(p1)[0] == 0
    assert state(store)["method"] == "weighted"


# -- index while the app serves the store ----------------------------------------------------

async def _session(port: int, timeout: float = 240) -> str:
    """Open one Streamlit session of the app over its websocket; return '' or the error."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream",
                                  subprotocols=["streamlit"], max_size=None,
                                  open_timeout=timeout) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        await ws.send(msg.SerializeToString())
        while True:
            f = ForwardMsg()
            f.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
            kind = f.WhichOneof("type")
            if (kind == "delta" and f.delta.WhichOneof("type") == "new_element"
                    and f.delta.new_element.WhichOneof("type") == "exception"):
                return f"exception in the app: {f.delta.new_element.exception.message[:300]}"
            if kind == "script_finished":
                ok = f.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
                return "" if ok else f"script finished with status {f.script_finished}"


def _open_files(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            out.add(os.readlink(fd))
        except OSError:
            pass
    return out


def test_index_succeeds_while_the_app_serves_the_store(store, mirror, report_figure):
    from needsmap.serve import AppProcess

    app = AppProcess(db=store)
    try:
        assert asyncio.run(_session(app.port)) == ""
        assert str(store) in _open_files(app.pid), "the app should hold the store open"
        rc, out, err = finish(start(index_args(store), mirror))
        assert rc == 0, err[-2000:]
        assert "written to" in " ".join(out.split())
        assert state(store)["method"] == "weighted"
        assert asyncio.run(_session(app.port)) == ""  # the app still serves, without errors
    finally:
        app.stop()
    report_figure("writers: needsmap index while the app serves the store -> exit 0, "
                  "store replaced, app sessions without errors")


def test_killed_index_leaves_the_store_and_is_swept(store, mirror):
    digest = sha(store)
    p = start(index_args(store), mirror)
    tmp = store.with_name(f"store.duckdb.building-{p.pid}")
    deadline = time.monotonic() + 180
    while not tmp.exists() and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    assert tmp.exists(), "index should write a copy beside the store"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert sha(store) == digest
    rc, _, err = finish(start(index_args(store), mirror))  # the lock died with the process
    assert rc == 0, err[-1500:]
    assert not tmp.exists(), "the next writer sweeps the killed writer's file"


# -- the rule itself, in process -------------------------------------------------------------

def _tiny_store(path: Path) -> Path:
    from needsmap.settings import SCHEMA_VERSION

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.execute("CREATE TABLE t AS SELECT 1 AS v")
    con.close()
    return path


def _value(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT v FROM t").fetchone()[0]
    finally:
        con.close()


def test_busy_lock_fails_at_once_with_wait_0_and_after_the_wait_otherwise(tmp_path):
    db = _tiny_store(tmp_path / "s.duckdb")
    told: list[str] = []
    with writer_lock(db, command="crime"):
        with pytest.raises(StoreBusy) as ei, update_store(db, wait=0, command="index"):
            pass
        assert f"being written by 'needsmap crime' (pid {os.getpid()}" in str(ei.value)
        t = time.monotonic()
        with pytest.raises(StoreBusy, match="waited 0.5 s"), \
                new_store(db, wait=0.5, on_wait=told.append):
            pass
        assert time.monotonic() - t >= 0.5
    assert len(told) == 1 and told[0].startswith("waiting for 'needsmap crime'")
    assert _value(db) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb", "s.duckdb.lock"]


def test_waiting_writer_sees_the_first_writers_result(tmp_path):
    db = _tiny_store(tmp_path / "s.duckdb")
    started = threading.Event()

    def first() -> None:
        with update_store(db) as con:
            started.set()
            time.sleep(0.5)
            con.execute("UPDATE t SET v = v + 1")

    th = threading.Thread(target=first)
    th.start()
    started.wait(10)
    with update_store(db, wait=30) as con:  # waits for the first, then copies its result
        con.execute("UPDATE t SET v = v * 10")
    th.join()
    assert _value(db) == 20


def test_store_replaced_by_a_writer_without_the_lock_is_not_overwritten(tmp_path):
    db = _tiny_store(tmp_path / "s.duckdb")
    other = _tiny_store(tmp_path / "other.duckdb")
    with pytest.raises(StoreWriteError, match="replaced by another writer.*not written"), \
            update_store(db) as con:
        con.execute("UPDATE t SET v = 5")
        con2 = duckdb.connect(str(other))
        con2.execute("UPDATE t SET v = 7")
        con2.close()
        os.replace(other, db)  # e.g. an older needsmap, or a manual copy
    assert _value(db) == 7
    assert not list(tmp_path.glob("s.duckdb.building-*"))


def test_a_dead_in_place_writers_log_is_kept_and_never_replayed_on_the_new_file(tmp_path):
    """A writer that committed and died without a checkpoint (e.g. an older ``index``) leaves
    ``<db>.wal``; its changes are carried into the copy, and the stale log is removed."""
    from needsmap.store.writer import update_store

    db = _tiny_store(tmp_path / "s.duckdb")
    code = (f"import duckdb, os; c = duckdb.connect({str(db)!r}); "
            "c.execute('UPDATE t SET v = 3'); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Path(str(db) + ".wal").exists()
    with update_store(db) as con:
        assert con.execute("SELECT v FROM t").fetchone()[0] == 3
        con.execute("UPDATE t SET v = v + 1")
    assert not Path(str(db) + ".wal").exists()
    assert _value(db) == 4
