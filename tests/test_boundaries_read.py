"""Reading boundary GeoJSON in two halves: the same features as GDAL's whole-file read.

Every case starts from the real ONS LSOA 2021 BSC file of the mirror (one feature
per line) or a layout derived from it.
"""

from __future__ import annotations

import json

import pyogrio
import pytest

from needsmap.ingest import boundaries
from needsmap.ingest.report import InputError

LSOA = "boundaries/lsoa21_ew_bsc_dec2021.geojson"


@pytest.fixture(scope="module")
def lsoa_bytes(mirror) -> bytes:
    return (mirror / LSOA).read_bytes()


@pytest.fixture(scope="module")
def whole(mirror):
    return pyogrio.read_dataframe(mirror / LSOA, use_arrow=True)


def test_halves_hold_every_feature_once_in_file_order(mirror, whole):
    g = boundaries.read_features(mirror / LSOA, ["LSOA21CD", "LSOA21NM"])
    assert len(g) == len(whole) == 35672
    assert g["LSOA21CD"].tolist() == whole["LSOA21CD"].tolist()
    assert g.geometry.geom_equals_exact(whole.geometry, 0).all()
    assert g.crs == whole.crs and list(g.columns) == list(whole.columns)


def test_split_is_at_a_feature_line_near_the_middle_byte(lsoa_bytes):
    a, b = boundaries._halves_of_collection(lsoa_bytes)
    fa, fb = json.loads(a)["features"], json.loads(b)["features"]
    assert len(fa) + len(fb) == 35672
    assert abs(len(a) - len(b)) < 0.01 * len(lsoa_bytes)  # parse work goes with bytes
    assert fa[0]["properties"]["LSOA21CD"] == "E01000001"


def test_crs_member_in_the_opening_reaches_both_halves(lsoa_bytes):
    crs = b'{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":['
    data = crs + lsoa_bytes[lsoa_bytes.index(b"\n"):]
    for half in boundaries._halves_of_collection(data):
        assert json.loads(half)["crs"]["properties"]["name"].endswith("CRS84")


@pytest.mark.parametrize("layout", ["first_feature_on_opening_line", "one_line", "pretty"])
def test_other_layouts_are_read_whole(lsoa_bytes, layout):
    lines = lsoa_bytes.split(b"\n")
    if layout == "first_feature_on_opening_line":
        data = lines[0] + b"\n".join(lines[1:])
    elif layout == "one_line":
        data = b"".join(lines)
    else:
        data = json.dumps(json.loads(lsoa_bytes)["features"][0], indent=2).encode()
    assert boundaries._halves_of_collection(data) is None


def test_crlf_file_splits_and_reads_the_same(tmp_path, lsoa_bytes, whole):
    p = tmp_path / "lsoa_crlf.geojson"
    p.write_bytes(lsoa_bytes.replace(b"\n", b"\r\n"))
    assert boundaries._halves_of_collection(p.read_bytes()) is not None
    g = boundaries.read_features(p, ["LSOA21CD"])
    assert g["LSOA21CD"].tolist() == whole["LSOA21CD"].tolist()


def test_truncated_file_fails_against_the_file_not_a_half(tmp_path, lsoa_bytes):
    p = tmp_path / "lsoa_truncated.geojson"
    p.write_bytes(lsoa_bytes[: len(lsoa_bytes) * 3 // 4])
    with pytest.raises(InputError, match="lsoa_truncated.geojson.*cannot read"):
        boundaries.read_features(p, ["LSOA21CD"])
