"""Upload view: a user's service CSV is validated and becomes a session layer."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, app_store

GOOD_AND_BAD = (
    b"name,type,postcode,latitude,longitude,easting,northing\n"
    b"Central Family Hub,family_hub,,53.8175,-3.0503,,\n"
    b"Layton Youth Zone,youth_service,,,,332900,437400\n"
    b'"=HYPERLINK(""http://evil"",""x"")",family_hub,,53.81,-3.04,,\n'
    b"Nowhere Hub,family_hub,ZZ99 9ZZ,,,,\n"
    b"Mystery,spaceport,,53.81,-3.04,,\n"
    b"No place,food_bank,,,,,\n"
)


@pytest.fixture
def at(request, monkeypatch) -> AppTest:
    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    a = AppTest.from_file(APP, default_timeout=240)
    a.query_params["view"] = "upload"
    return a


def test_upload_view_renders(at):
    at.run()
    assert not at.exception
    assert at.query_params["view"] == "upload"
    assert at.get("file_uploader")


def test_upload_validates_and_adds_session_layer(at):
    at.run()
    at.get("file_uploader")[0].upload("my list.csv", GOOD_AND_BAD, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows accepted"] == "2"
    assert metrics["Rows rejected"] == "4"
    layer = at.session_state["upload_services"]
    assert sorted(layer["name"]) == ["Central Family Hub", "Layton Youth Zone"]
    # "Show on the Explore map" switches view and turns the layer on
    [b for b in at.button if b.label.startswith("Show on")][0].click().run()
    assert not at.exception
    assert at.radio(key="view").value == "explore"
    assert "_upload" in at.pills(key="ex_services").value


def test_upload_rejects_oversized_and_binary(at):
    at.run()
    at.get("file_uploader")[0].upload("big.csv", b"\xff\xfe\x00garbage" * 10, "text/csv").run()
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)


def test_header_only_file_says_it_has_no_rows(at):
    at.run()
    at.get("file_uploader")[0].upload("empty.csv", b"name,type,postcode\n", "text/csv").run()
    assert not at.exception
    assert any("no data rows" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not at.metric  # no "0 accepted / 0 rejected"
