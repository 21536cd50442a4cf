"""The ONS-layout GeoJSON reader: the same features as GDAL, or it steps aside.

Every case starts from the real ONS LSOA 2021 BSC file of the mirror (one feature
per line) or from its lines changed on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from needsmap.ingest import boundaries
from needsmap.ingest._geojson_lines import MIN_BYTES, read_feature_lines
from needsmap.ingest.report import InputError

LSOA = "boundaries/lsoa21_ew_bsc_dec2021.geojson"
PROPS = ["LSOA21CD", "LSOA21NM"]


def same_as_gdal(g, path: Path) -> None:
    w = pyogrio.read_dataframe(path, use_arrow=True)
    assert len(g) == len(w)
    for p in PROPS:
        assert g[p].tolist() == w[p].tolist()
    assert shapely.equals_exact(np.asarray(g.geometry.values), np.asarray(w.geometry.values),
                                tolerance=0).all()
    assert g.crs == w.crs


@pytest.fixture(scope="module")
def lines(mirror) -> list[bytes]:
    """The real file's lines: opening, 35,672 feature lines, closing."""
    return (mirror / LSOA).read_bytes().split(b"\n")


def write(tmp_path: Path, name: str, opening: bytes, features: list[bytes], closing: bytes = b"]}") -> Path:
    body = b",\n".join(f.rstrip(b",") for f in features)
    p = tmp_path / name
    p.write_bytes(opening + b"\n" + body + b"\n" + closing + b"\n")
    return p


@pytest.fixture(scope="module")
def sample(lines) -> list[bytes]:
    """The first 4,000 real feature lines (about 1.6 MB, above the reader's size floor)."""
    return lines[1:4001]


def test_whole_lsoa_file_matches_gdal_bit_for_bit(mirror):
    g = read_feature_lines(mirror / LSOA, PROPS)
    assert g is not None and len(g) == 35672
    same_as_gdal(g, mirror / LSOA)


def test_read_features_uses_it_and_keeps_its_checks(mirror):
    g = boundaries.read_features(mirror / LSOA, PROPS)
    assert g["LSOA21CD"].iloc[0] == "E01000001" and g.crs.to_epsg() == 4326


def test_crlf_and_a_name_member_are_read(tmp_path, sample):
    p = write(tmp_path, "named.geojson", b'{"type":"FeatureCollection","name":"LSOA_2021","features":[', sample)
    same_as_gdal(read_feature_lines(p, PROPS), p)
    q = tmp_path / "crlf.geojson"
    q.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    same_as_gdal(read_feature_lines(q, PROPS), q)


def test_polygon_file_is_read(tmp_path, sample):
    feats = []
    for ln in sample:
        f = json.loads(ln.rstrip(b","))
        f["geometry"] = {"type": "Polygon", "coordinates": f["geometry"]["coordinates"][0]}
        feats.append(json.dumps(f, separators=(",", ":")).encode())
    p = write(tmp_path, "polygons.geojson", b'{"type":"FeatureCollection","features":[', feats)
    g = read_feature_lines(p, PROPS)
    assert (g.geometry.geom_type == "Polygon").all()
    same_as_gdal(g, p)


def _edit(sample: list[bytes], i: int, fn) -> list[bytes]:  # noqa: ANN001
    f = json.loads(sample[i].rstrip(b","))
    fn(f)
    return [*sample[:i], json.dumps(f, separators=(",", ":")).encode(), *sample[i + 1:]]


def _ring(f: dict) -> list:
    return f["geometry"]["coordinates"][0][0]


CASES = {
    "crs member": lambda s: (b'{"type":"FeatureCollection","crs":{"type":"name","properties":'
                             b'{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[', s),
    "null geometry": lambda s: (None, _edit(s, 7, lambda f: f.update(geometry=None))),
    "point": lambda s: (None, _edit(s, 7, lambda f: f.update(geometry={"type": "Point", "coordinates": [0, 51]}))),
    "mixed polygon types": lambda s: (None, _edit(s, 7, lambda f: f["geometry"].update(
        type="Polygon", coordinates=f["geometry"]["coordinates"][0]))),
    "xyz coordinates": lambda s: (None, _edit(s, 7, lambda f: _ring(f).__setitem__(0, [*_ring(f)[0], 10.0]))),
    "unclosed ring": lambda s: (None, _edit(s, 7, lambda f: _ring(f).pop())),
    "numeric code": lambda s: (None, _edit(s, 7, lambda f: f["properties"].update(LSOA21CD=1001))),
    "missing property": lambda s: (None, [ln.replace(b'"LSOA21NM"', b'"NAME"') for ln in s]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_anything_else_is_left_to_gdal(tmp_path, sample, case):
    opening, feats = CASES[case](sample)
    p = write(tmp_path, "case.geojson", opening or b'{"type":"FeatureCollection","features":[', feats)
    assert p.stat().st_size >= MIN_BYTES
    assert read_feature_lines(p, PROPS) is None


@pytest.mark.parametrize("layout", ["first feature on the opening line", "one line", "pretty"])
def test_other_layouts_are_left_to_gdal(tmp_path, lines, layout):
    data = b"\n".join(lines)
    if layout == "first feature on the opening line":
        data = lines[0] + b"\n".join(lines[1:])
    elif layout == "one line":
        data = b"".join(lines)
    else:
        data = json.dumps({"type": "FeatureCollection",
                           "features": [json.loads(ln.rstrip(b",")) for ln in lines[1:3001]]},
                          indent=1).encode()
    p = tmp_path / "layout.geojson"
    p.write_bytes(data)
    assert read_feature_lines(p, PROPS) is None
    same_as_gdal(boundaries.read_features(p, PROPS), p)  # and GDAL reads it


def test_truncated_file_is_an_error_naming_the_file(tmp_path, lines):
    p = tmp_path / "lsoa_truncated.geojson"
    data = b"\n".join(lines)
    p.write_bytes(data[: len(data) * 3 // 4])
    assert read_feature_lines(p, PROPS) is None
    with pytest.raises(InputError, match="lsoa_truncated.geojson.*cannot read"):
        boundaries.read_features(p, PROPS)


def test_missing_property_is_still_named(tmp_path, sample):
    p = write(tmp_path, "renamed.geojson", b'{"type":"FeatureCollection","features":[',
              [ln.replace(b'"LSOA21NM"', b'"NAME"') for ln in sample])
    with pytest.raises(InputError, match="renamed.geojson.*missing property 'LSOA21NM'"):
        boundaries.read_features(p, PROPS)
