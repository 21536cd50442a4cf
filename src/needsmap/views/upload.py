"""Upload: a user's own service list (CSV) as a map layer for this session.

Validation is :func:`needsmap.access.upload.validate_upload` (the services engineer's):
in memory, never a file path, a size limit, strict UTF-8 CSV parsing, every row kept or
rejected with a reason. Accepted rows become the "Your uploaded list" layer in Explore
and a service type in Target (gaps measured to the listed services) for this browser
session only; nothing is written to the store.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.settings import MAX_UPLOAD_BYTES, REPO_ROOT
from needsmap.views import data, exports, layout
from needsmap.views.context import ViewContext
from needsmap.views.state import sync

TEMPLATE = REPO_ROOT / "geodata" / "service_template.csv"
EXAMPLE = (
    "name,type,postcode,latitude,longitude,easting,northing\n"
    "Central Family Hub,family_hub,FY1 1AA,,,,\n"
    "Layton Children's Centre,childrens_centre,,53.8263,-3.0241,,\n"
    "Youth Zone,youth_service,,,,331500,436800\n"
)


def _type_labels() -> dict[str, str]:
    return dict(SERVICE_TYPES)


@st.cache_data(max_entries=16, show_spinner="Checking your file…")
def _validate(token: str, digest: str, payload: bytes, filename: str
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    from needsmap.access.upload import validate_upload

    cur = data.cursor(token)
    try:
        return validate_upload(payload, con=cur, filename=filename, max_bytes=MAX_UPLOAD_BYTES)
    finally:
        cur.close()


def _clear() -> None:
    st.session_state.pop("upload_services", None)
    st.session_state.pop("upload_label", None)
    st.session_state.pop("upload_digest", None)


def _use_in_target() -> None:
    st.session_state["tg_service"] = "_upload"
    st.session_state["view"] = "target"


def _show_on_map() -> None:
    chosen = list(st.session_state.get("ex_services") or [])
    if "_upload" not in chosen:
        chosen.append("_upload")
    st.session_state["ex_services"] = chosen
    st.session_state["view"] = "explore"


def render(ctx: ViewContext) -> None:
    """Draw the Upload view."""
    st.html('<h1 class="nm-title">Upload your own services</h1>'
            '<div class="nm-sub">Add family hubs, children\'s centres, youth services or any '
            "other list to the map for this session. Nothing is saved to the store.</div>")
    layout.caveat()
    labels = _type_labels()
    left, right = st.columns([3, 2], gap="large")
    with right:
        st.markdown("**File format**")
        st.markdown(
            "A CSV with a header row and the columns `name`, `type`, and a location: "
            "`postcode`, **or** `latitude` and `longitude`, **or** `easting` and `northing` "
            f"(British National Grid). Up to {MAX_UPLOAD_BYTES // 2**20} MB, UTF-8 text.")
        template = TEMPLATE.read_bytes() if TEMPLATE.exists() else b""
        st.download_button("Download the template", template + EXAMPLE.split("\n", 1)[1].encode(),
                           "needsmap_service_template.csv", "text/csv",
                           icon=":material/download:", on_click="ignore")
        if labels:
            st.markdown("**Valid types**")
            st.dataframe(pd.DataFrame({"type": list(labels), "meaning": list(labels.values())}),
                         hide_index=True, width="stretch", height=250)
    with left:
        up = st.file_uploader("Service list (CSV)", type=["csv"], key="upload_file",
                              max_upload_size=max(1, MAX_UPLOAD_BYTES // 2**20),
                              help="Checked in memory: the file is never saved.")
        if up is not None:
            payload = up.getvalue()
            digest = hashlib.sha256(payload).hexdigest()
            accepted, rejected = _validate(ctx.token, digest, payload, up.name)
            label = f"Your list ({len(accepted):,} services)"
            if st.session_state.get("upload_digest") != digest:
                st.session_state["upload_digest"] = digest
                layer = accepted.assign(source="your upload",
                                        type_label=accepted["type"].map(labels).fillna(accepted["type"]))
                st.session_state["upload_services"] = layer.dropna(subset=["lon", "lat"])
                st.session_state["upload_label"] = label
            _report(accepted, rejected, labels)
        current = st.session_state.get("upload_services")
        if current is not None and len(current):
            st.success(f"{st.session_state.get('upload_label', 'Your list')} can be shown on "
                       "the Explore map and used as the service type in Target for this "
                       "session.", icon=":material/check_circle:")
            c1, c2, c3 = st.columns(3)
            c1.button("Show on the Explore map", on_click=_show_on_map, type="primary",
                      width="stretch", icon=":material/map:")
            c2.button("Find gaps in Target", on_click=_use_in_target, width="stretch",
                      icon=":material/target:",
                      help="Which high-need wards are far from the services in your list.")
            c3.button("Remove the uploaded list", on_click=_clear, width="stretch",
                      icon=":material/delete:")
    sync([], extra={"view": "upload"})


def _report(accepted: pd.DataFrame, rejected: pd.DataFrame, labels: dict[str, str]) -> None:
    file_level = rejected[rejected["row"] == 0] if len(rejected) else rejected
    if len(file_level):
        st.error("The file could not be read: " + "; ".join(file_level["reason"].astype(str)),
                 icon=":material/error:")
        return
    if not len(accepted) and not len(rejected):
        st.warning("The file has a header row but no data rows: there is nothing to add. Put "
                   "one service per line under the header (see the template).",
                   icon=":material/warning:")
        return
    m1, m2 = st.columns(2)
    m1.metric("Rows accepted", f"{len(accepted):,}")
    m2.metric("Rows rejected", f"{len(rejected):,}")
    if len(accepted):
        show = accepted.assign(type=accepted["type"].map(labels).fillna(accepted["type"]))
        cols = [c for c in ("row", "name", "type", "postcode", "lat", "lon", "ward_code",
                            "lad_code") if c in show.columns]
        st.markdown("**Accepted**")
        st.dataframe(show[cols], hide_index=True, width="stretch", height=220)
    if len(rejected):
        st.markdown("**Rejected rows, with reasons**")
        st.dataframe(rejected, hide_index=True, width="stretch", height=220,
                     column_config={"row": st.column_config.NumberColumn("Row", format="%d"),
                                    "column": "Column", "reason": "Reason", "raw": "Row text"})
        st.download_button("Download the rejected rows (CSV)", exports.to_csv(rejected),
                           "rejected_rows.csv", "text/csv", icon=":material/download:",
                           on_click="ignore")
