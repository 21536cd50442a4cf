"""URL query parameters are untrusted: hostile permalinks must be inert in the app.

Runs ``app.py`` headless with Streamlit's AppTest against the Blackpool store, with
SQL, HTML and junk in every permalink parameter the views read (names taken from the
views' ``Param`` declarations). The app must not raise, must fall back to valid
choices, and the store file must be byte-identical afterwards (it is opened read-only).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INJ = "Blackpool'; DROP TABLE ward_indicators; --"
HOSTILE_EXPLORE = {
    "view": "explore", "area": f"E06000009,{INJ},<script>alert(1)</script>",
    "layer": INJ, "method": "lewer' OR 1=1 --", "classes": "x;DROP", "k": "9999999999999",
    "palette": "<img src=x onerror=alert(1)>", "basemap": "../../etc/passwd",
    "services": f"{INJ},gp_practice", "ward": "E05000001' OR '1'='1",
    "w": "child_poverty:1e309,income:-5,__import__('os'):50,crime:abc",
}
HOSTILE_TARGET = {
    "view": "target", "lad": INJ, "service": "gp_practice'; --", "need": "<script>",
    "deciles": "-1", "far": "1e99", "min_km": "NaN", "only_gaps": "'; DROP TABLE x; --",
}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("params", [HOSTILE_EXPLORE, HOSTILE_TARGET, {"view": INJ}],
                         ids=["explore", "target", "view"])
def test_hostile_permalink_is_inert(params, blackpool_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NEEDSMAP_DB", str(blackpool_store))
    before = _sha(blackpool_store)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(str(getattr(m, "value", "")) for m in at.markdown)
    assert "<script>alert(1)</script>" not in text
    assert _sha(blackpool_store) == before
