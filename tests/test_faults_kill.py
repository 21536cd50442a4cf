"""SIGKILL the build at random points: the previous store stays byte-identical and opens.

Each round starts ``needsmap build --la Blackpool`` as a subprocess (its own
process group), waits a random delay and SIGKILLs the group: no handler, no
``finally`` runs. The previous store is a real, complete build. After every kill
it must be byte-identical and open with :func:`~needsmap.store.db.open_store`,
and the next build must sweep the killed build's temporary file.

``NEEDSMAP_KILL_SEED`` / ``NEEDSMAP_KILL_ROUNDS`` change the seed and the number
of kills; the delays used are printed.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from needsmap.store.db import open_store

REPO = Path(__file__).resolve().parent.parent




def _start(db: Path, mirror: Path, cache: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "needsmap.cli", "build", "--la", "Blackpool", "--db", str(db),
           "--mirror", str(mirror), "--cache", str(cache), "--offline"]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_sigkill_at_random_points_keeps_previous_store(tmp_path, mirror, report_figure):
    seed = int(os.environ.get("NEEDSMAP_KILL_SEED", "20261201"))
    rounds = int(os.environ.get("NEEDSMAP_KILL_ROUNDS", "2"))
    rng = random.Random(seed)
    db = tmp_path / "store" / "needsmap.duckdb"
    db.parent.mkdir()
    cache = tmp_path / "cache"

    # The previous store: a real, complete build (which also times a build here).
    t0 = time.perf_counter()
    proc = _start(db, mirror, cache)
    _, err = proc.communicate(timeout=600)
    full = time.perf_counter() - t0
    assert proc.returncode == 0, err.decode()[-3000:]
    sha = hashlib.sha256(db.read_bytes()).hexdigest()
    con = open_store(db)
    built_at = con.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()
    n_wards = con.execute("SELECT count(*) FROM ward_indicators").fetchone()[0]
    con.close()
    assert n_wards == 21

    # later builds are faster (warm caches): kill within the first 60% of the first one
    delays = sorted(rng.uniform(0.3, full * 0.6) for _ in range(rounds))
    print(f"\nSIGKILL faults: seed={seed}, full build {full:.1f}s, kill delays "
          + ", ".join(f"{d:.1f}s" for d in delays))
    killed = 0
    prev_pid: str | None = None
    for delay in delays:
        proc = _start(db, mirror, cache)
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        if proc.returncode == 0:  # finished before the kill: a legitimate new store
            sha = hashlib.sha256(db.read_bytes()).hexdigest()
            con = open_store(db)
            built_at = con.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()
            con.close()
            continue
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
        # previous store: byte-identical, opens, same build
        assert hashlib.sha256(db.read_bytes()).hexdigest() == sha, "previous store was modified"
        con = open_store(db)
        try:
            assert con.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone() == built_at
            assert con.execute("SELECT count(*) FROM ward_indicators").fetchone()[0] == n_wards
        finally:
            con.close()
        # a build that got going (>= 5 s: past its imports) swept the earlier killed build's files
        left = {p.name.split(".building-")[1].split(".")[0]
                for p in db.parent.iterdir() if ".building-" in p.name}
        if delay >= 5 and prev_pid is not None:
            assert prev_pid not in left, f"temp files of an earlier killed build remain: {left}"
        prev_pid = str(proc.pid)
    msg = (f"SIGKILL faults: {killed}/{rounds} builds killed; previous store byte-identical "
           "and opening after each; temp files of killed builds swept by the next build")
    print(msg)
    report_figure(msg)
    assert killed >= 1
