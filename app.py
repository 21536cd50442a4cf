"""needsmap: the Streamlit map app (UI only; run with `needsmap app` or `streamlit run app.py`).

Views live in ``needsmap.views``: Explore (analysts), Target (commissioners), Upload
(a user's own service list) and Snapshot (boards). The store is found through
``NEEDSMAP_DB`` or the default path and opened read-only.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import streamlit as st

# A local icon: a ":material/...:" page icon would be fetched from the internet.
ICON = Path(__file__).resolve().parent / "static" / "needsmap-icon.png"
st.set_page_config(page_title="needsmap · ward need in England",
                   page_icon=str(ICON) if ICON.exists() else None,
                   layout="wide", initial_sidebar_state="expanded")

from needsmap.store.db import StoreError  # noqa: E402
from needsmap.views import data, explore, layout, maps, snapshot, target, upload  # noqa: E402
from needsmap.views.context import ViewContext  # noqa: E402
from needsmap.views.state import (  # noqa: E402
    Param,
    new_run,
    restore,
    show_url_problems,
    url_problem,
)

log = logging.getLogger("needsmap.app")

#: key -> (label, icon, module with ``render(ctx)``).
VIEWS = {
    "explore": ("Explore", ":material/map:", explore),
    "target": ("Target", ":material/target:", target),
    "upload": ("Upload services", ":material/upload_file:", upload),
    "snapshot": ("Snapshot", ":material/description:", snapshot),
}


#: Views that place the index caveat under their own heading.
OWN_CAVEAT = {"explore", "target", "upload"}


def main() -> None:
    layout.page_style()
    new_run()
    views = VIEWS
    restored = restore([Param("view", "view", "explore")], "app")
    if not st.session_state.get("_nm_params_checked"):  # a session's first run: say which
        st.session_state["_nm_params_checked"] = True  # parameters of the link mean nothing
        known = {"view"} | {p.name for _l, _i, m in views.values() for p in getattr(m, "PARAMS", [])}
        for name in st.query_params:
            if name not in known:
                url_problem(name, st.query_params.get(name, ""),
                            "not a setting of this app; ignored.")
    if st.session_state.get("view") not in views:
        if "view" in restored:
            url_problem("view", restored.raw["view"], f"not a view (valid: {', '.join(views)}); "
                        "showing Explore.")
        st.session_state["view"] = "explore"
    with st.sidebar:
        st.html(f'<div style="font-size:1.35rem;font-weight:700;color:#3b2c85">{layout.APP_TITLE}</div>'
                f'<div style="color:#55535f;margin-top:-2px">{layout.APP_TAGLINE}</div>')
        st.radio("View", list(views), key="view", format_func=lambda k: views[k][0],
                 horizontal=True, label_visibility="collapsed")
        if not maps.local_assets_ok():
            st.warning("Map scripts come from the internet because `static/vendor` is missing. "
                       "Run `scripts/fetch_assets` so maps work offline.", icon=":material/wifi_off:")
    try:
        info = data.checkout()
    except StoreError as exc:
        st.html(f'<h1 class="nm-title">{layout.APP_TITLE}</h1>')
        layout.caveat()
        layout.store_missing(str(exc))
        return
    # One store version for the whole run (a replaced store is read from the next run on).
    try:
        _run(info, views)
    finally:
        data.release(info.token)


def _run(info: data.StoreInfo, views: dict) -> None:
    ctx = ViewContext(info=info, lads=data.lads(info.token),
                      session_services=st.session_state.get("upload_services", pd.DataFrame()))
    key = st.session_state["view"]
    label, _icon, module = views[key]

    def run() -> None:
        if key not in OWN_CAVEAT:  # views from other modules get the caveat from the app
            layout.caveat()
        module.render(ctx)

    layout.guarded(run, f"{label} view")
    show_url_problems()  # anything a view did not show under its own heading
    if st.query_params.get("view") != key:  # views without their own permalink params
        st.query_params["view"] = key
    layout.sources_footer(info)


main()
