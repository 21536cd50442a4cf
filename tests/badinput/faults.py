"""Fault-injection helpers: tiny tmpfs mounts for full-disk and read-only directories.

Mounting needs root (CAP_SYS_ADMIN). Where it is not permitted the helpers call
``pytest.skip`` with the reason, so the suite stays green on an unprivileged CI.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@contextmanager
def tmpfs(path: Path, size: str = "2m", read_only: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` at ``path`` (created), optionally remounted read-only.

    Yields the mount point; unmounts on exit. Skips the test if mounting is not permitted.
    """
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; full-disk/read-only-mount test skipped")
    res = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    if res.returncode != 0:
        pytest.skip(f"mount -t tmpfs not permitted here: {res.stderr.strip() or res.returncode}")
    try:
        yield path
    finally:
        res = _run("umount", str(path))
        if res.returncode != 0:
            _run("umount", "-l", str(path))


def remount_read_only(path: Path) -> None:
    """Remount the tmpfs at ``path`` read-only (EROFS for every writer, root included)."""
    res = _run("mount", "-o", "remount,ro", str(path))
    if res.returncode != 0:
        pytest.skip(f"remount read-only not permitted: {res.stderr.strip()}")


def used_bytes(path: Path) -> int:
    """Bytes used on the filesystem holding ``path``."""
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize
