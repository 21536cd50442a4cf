"""Page chrome shared by every view: styles, the caveat, sources and licences, errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from needsmap import CAVEAT
from needsmap.views import data

log = logging.getLogger("needsmap.app")

APP_TITLE = "needsmap"
APP_TAGLINE = "Place-based need in England and Wales, ward by ward"

_CSS = """
<style>
header[data-testid="stHeader"] { background: transparent; }
.block-container { padding-top: 2.4rem; padding-bottom: 2rem; max-width: 1500px; }
.nm-caveat { border-left: 4px solid #3b2c85; background: #f3f2f8; padding: .4rem .7rem;
  border-radius: 4px; font-size: .85rem; line-height: 1.4; color: #2b2a33; margin: .1rem 0 .5rem 0; }
.nm-caveat b { color: #3b2c85; }
.nm-kpi { border: 1px solid #e3e1ea; border-radius: 8px; padding: .5rem .75rem; background: #fff; }
.nm-kpi .l { color: #55535f; font-size: .8rem; } .nm-kpi .v { font-size: 1.25rem; font-weight: 700; }
.nm-sources { font-size: .85rem; color: #3c3b44; }
.nm-sources td, .nm-sources th { padding: 2px 8px 2px 0; vertical-align: top; }
h1.nm-title { font-size: 1.55rem; margin: 0 0 .1rem 0; padding: 0; }
.nm-rule { border-left: 4px solid #E69F00; background: #fdf6e8; padding: .5rem .8rem;
  border-radius: 4px; font-size: .95rem; color: #2b2a33; margin: .1rem 0 .6rem 0; }
.nm-sub { color: #55535f; margin-bottom: .4rem; }
</style>
"""


def page_style() -> None:
    """Inject the app's small stylesheet (once per run)."""
    st.html(_CSS)


def caveat() -> None:
    """The index caveat, on every page (``needsmap.CAVEAT``)."""
    st.html(
        '<div class="nm-caveat" role="note"><b>About the ACE index.</b> '
        f"{_escape(CAVEAT)} Darker areas show <i>higher modelled risk</i> for the area as a "
        "whole, never a label for the people who live there.</div>"
    )


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _year(vintage: str) -> str | None:
    years = re.findall(r"(?:19|20)\d\d", vintage or "")
    return max(years) if years else None


def attribution_lines(src: pd.DataFrame) -> list[str]:
    """Licence attribution statements for the sources in the store."""
    if src.empty:
        return []
    lic = " ".join(src["licence"].fillna("").astype(str)).lower()
    pubs = " ".join(src["publisher"].fillna("").astype(str)).lower()
    years = [y for y in (_year(str(v)) for v in src["vintage"].fillna("")) if y]
    year = max(years) if years else ""
    lines = []
    if "ogl" in lic or "open government" in lic:
        lines.append("Contains public sector information licensed under the Open Government "
                     "Licence v3.0.")
    if "office for national statistics" in pubs:
        lines.append("Source: Office for National Statistics licensed under the Open Government "
                     f"Licence v.3.0. Contains OS data © Crown copyright and database right {year}.")
    if "os opendata" in lic or "ordnance survey" in pubs:
        lines.append(f"Contains OS data © Crown copyright and database right {year}. Contains "
                     f"Royal Mail data © Royal Mail copyright and database right {year}. Contains "
                     f"National Statistics data © Crown copyright and database right {year}.")
    if "organisation data service" in pubs or "ods" in pubs.split():
        lines.append("GP practices: NHS England Organisation Data Service (ODS), Open Government "
                     "Licence v3.0.")
    return lines


def grouped_sources(src: pd.DataFrame) -> pd.DataFrame:
    """One row per publisher and title (monthly police.uk files collapse into one)."""
    if src.empty:
        return src
    df = src.copy()
    df["title"] = df["title"].fillna(df.get("source_id", ""))
    police = df["source_id"].astype(str).str.startswith("police_uk:")
    if police.any():
        months = sorted(df.loc[police, "vintage"].astype(str))
        row = df[police].iloc[0].copy()
        row["title"] = f"Street-level crime ({police.sum()} monthly force files)"
        row["vintage"] = f"{months[0]} to {months[-1]}"
        df = pd.concat([df[~police], row.to_frame().T], ignore_index=True)
    cols = [c for c in ("publisher", "title", "vintage", "licence") if c in df.columns]
    return df[cols].drop_duplicates().reset_index(drop=True)


@st.cache_data(max_entries=4, show_spinner=False)
def _footer(token: str) -> tuple[pd.DataFrame, list[str]]:
    src = data.sources(token)
    return grouped_sources(src), attribution_lines(src)


def sources_footer(info: data.StoreInfo | None) -> None:
    """Sources, vintages and licence attribution, from the store's ``source`` table."""
    st.divider()
    if info is None or "source" not in info.tables:
        with st.expander("Sources, vintages and licences", expanded=False):
            st.write("The store has no `source` table, so sources cannot be listed. "
                     "Rebuild it with `needsmap build`.")
        return
    table, lines = _footer(info.token)
    with st.expander("Sources, vintages and licences", expanded=False):
        # a plain HTML table: on every page, and a data grid here would load the grid's
        # scripts before the map can paint
        st.html(_sources_table(table))
        for line in lines:
            st.caption(line)
        built = info.meta.get("built_at", "unknown")
        st.caption(f"Store built {built} · scope: {scope_label(info)} · file: `{info.path}`")
    if lines:
        st.caption(" ".join(lines[:2]))


def _sources_table(table: pd.DataFrame) -> str:
    """The sources as an escaped HTML table (publisher, dataset, vintage, licence)."""
    cols = [c for c in ("publisher", "title", "vintage", "licence") if c in table.columns]
    heads = {"publisher": "Publisher", "title": "Dataset", "vintage": "Vintage", "licence": "Licence"}
    head = "".join(f'<th scope="col">{heads[c]}</th>' for c in cols)
    rows = "".join("<tr>" + "".join(f"<td>{_escape(str(r[c]) if pd.notna(r[c]) else '')}</td>"
                                     for c in cols) + "</tr>"
                   for _, r in table.iterrows())
    return f'<table class="nm-sources"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def scope_label(info: data.StoreInfo) -> str:
    if info.is_england:
        return "all England"
    return info.scope.strip("[]").replace('"', "")


def store_missing(message: str) -> None:
    """The store cannot be opened: say why and how to build it."""
    st.error(message, icon=":material/database:")
    st.markdown(
        "**How to build the store**\n\n"
        "```bash\n"
        "# whole of England (about 2 minutes), from the offline mirror of official files\n"
        "NEEDSMAP_MIRROR=../shared/geodata .venv/bin/needsmap build\n"
        "# or just one or more local authorities\n"
        "NEEDSMAP_MIRROR=../shared/geodata .venv/bin/needsmap build --la Blackpool\n"
        "```\n"
        f"The app reads the store at `{data.store_path()}` (set `NEEDSMAP_DB` to use another "
        "file), then reload this page."
    )


def unavailable(missing: dict[str, str]) -> None:
    """List the layers or features this store cannot show, and why."""
    if not missing:
        return
    with st.expander(f"{len(missing)} layer(s) unavailable in this store", expanded=False,
                     icon=":material/info:"):
        for label, why in missing.items():
            st.markdown(f"- **{label}**: {why}")


def guarded(fn: Callable[[], None], what: str) -> None:
    """Run a view; on any error show a plain message (details go to the server log)."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
        if type(exc).__name__ in ("RerunException", "StopException"):
            raise
        log.exception("error in %s", what)
        st.error(f"Sorry, the {what} could not be shown: {type(exc).__name__}: "
                 f"{str(exc)[:300]}. The details are in the app's log.", icon=":material/error:")


def ward_select(view, ward_codes: list[str]) -> str | None:  # noqa: ANN001 - pandas frame
    """The ward list beside the map (key ``ward``, sorted by name); the chosen code or None."""
    names = dict(zip(view["ward_code"], view.get("ward_name", view["ward_code"]), strict=True))
    order = sorted(ward_codes, key=lambda c: str(names.get(c, c)))
    st.selectbox("Ward", [None, *order], key="ward", persist_state="session",
                 format_func=lambda c: "Click the map or choose a ward" if c is None
                 else str(names.get(c, c)))
    return st.session_state.get("ward")
