"""One typed settings module (after OSMnx's ``settings``).

Every path the tool uses is resolved here, from an explicit argument, then an
environment variable, then a documented default:

=============  ====================  ==========================================
setting        environment variable  default
=============  ====================  ==========================================
``db_path``    ``NEEDSMAP_DB``       ``~/.local/share/needsmap/needsmap.duckdb``
``mirror``     ``NEEDSMAP_MIRROR``   none (no mirror)
``cache_dir``  ``NEEDSMAP_CACHE``    ``~/.cache/needsmap``
=============  ====================  ==========================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Version of the store's table layout. The app refuses a store whose version differs.
SCHEMA_VERSION = 6

#: Repository root (holds ``queries/`` and ``geodata/``).
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent
QUERIES_DIR = REPO_ROOT / "queries"
CATALOGUE_PATH = REPO_ROOT / "geodata" / "catalogue.toml"

#: British National Grid, used for every distance and area.
BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Upload limit for user service CSVs (bytes).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _xdg(var: str, fallback: str) -> Path:
    base = os.environ.get(var)
    return Path(base) if base else Path.home() / fallback


def default_db_path() -> Path:
    """Return the store path: ``$NEEDSMAP_DB`` or the XDG data default."""
    env = os.environ.get("NEEDSMAP_DB")
    if env:
        return Path(env).expanduser()
    return _xdg("XDG_DATA_HOME", ".local/share") / "needsmap" / "needsmap.duckdb"


def default_cache_dir() -> Path:
    """Return the download cache: ``$NEEDSMAP_CACHE`` or the XDG cache default."""
    env = os.environ.get("NEEDSMAP_CACHE")
    if env:
        return Path(env).expanduser()
    return _xdg("XDG_CACHE_HOME", ".cache") / "needsmap"


def default_mirror() -> Path | None:
    """Return ``$NEEDSMAP_MIRROR`` as a path, or ``None``."""
    env = os.environ.get("NEEDSMAP_MIRROR")
    return Path(env).expanduser().resolve() if env else None


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run.

    Parameters
    ----------
    db_path
        DuckDB store to build or read.
    mirror
        Directory laid out like the official-file mirror (``../shared/geodata``).
    cache_dir
        User cache; downloads land here and are reused.
    offline
        If true, never attempt a download.
    """

    db_path: Path = field(default_factory=default_db_path)
    mirror: Path | None = field(default_factory=default_mirror)
    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False

    @classmethod
    def from_args(
        cls,
        db: str | os.PathLike[str] | None = None,
        mirror: str | os.PathLike[str] | None = None,
        cache: str | os.PathLike[str] | None = None,
        offline: bool = False,
    ) -> Settings:
        """Build settings, letting explicit arguments win over the environment."""
        return cls(
            db_path=Path(db).expanduser() if db else default_db_path(),
            mirror=Path(mirror).expanduser().resolve() if mirror else default_mirror(),
            cache_dir=Path(cache).expanduser() if cache else default_cache_dir(),
            offline=offline,
        )
