"""A fast reader for the ONS GeoJSON layout: one feature per line, one polygon type.

The ONS (ArcGIS Hub) exports of LSOA and ward boundaries put the collection's
opening ``{"type":"FeatureCollection","features":[`` on the first line, then one
feature per line (each but the last followed by a comma), then ``]}``. Such a
file is newline-delimited JSON once the separating commas are dropped, so
pyarrow's JSON reader (C++) parses it into nested lists, and
:func:`shapely.from_ragged_array` builds the polygons from their offsets.

On the 15 MB LSOA 2021 file this takes 0.12-0.19 s on one thread, where GDAL's
GeoJSON reader (two passes, a JSON object tree per feature) takes 0.6-0.85 s, and
the polygons are bit-for-bit the same (``tests/test_boundaries_read.py``).

:func:`read_feature_lines` returns ``None`` for anything outside that layout,
and the caller reads the file with GDAL, which covers every case and names the
file in its errors: another layout, a ``crs`` member, a feature without geometry
or of another type, coordinates with a third value, a property that is not text
or is missing from every feature, or any parse error.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import shapely

from needsmap.settings import WGS84

#: The collection's opening line: the type, an optional name, then the features array.
_OPENING = re.compile(
    rb'\s*\{\s*"type"\s*:\s*"FeatureCollection"\s*,\s*(?:"name"\s*:\s*"[^"\\\r\n]*"\s*,\s*)?'
    rb'"features"\s*:\s*\[\s*')

#: Smaller files are left to GDAL: they take it milliseconds.
MIN_BYTES = 1 << 20
#: pyarrow's JSON block size (it parses one block at a time).
BLOCK_BYTES = 1 << 20

_POLYGON = pa.list_(pa.list_(pa.list_(pa.float64())))  # rings > points > (x, y)
#: pyarrow type of "coordinates" for each polygon type, with its shapely geometry type.
_KINDS = {
    "MultiPolygon": (pa.list_(_POLYGON), shapely.GeometryType.MULTIPOLYGON),
    "Polygon": (_POLYGON, shapely.GeometryType.POLYGON),
}


def read_feature_lines(path: Path, props: list[str]) -> gpd.GeoDataFrame | None:
    """The features of ``path`` (``props`` as text columns, geometry in EPSG:4326), or ``None``.

    ``None`` means the file is not in the layout this reader handles; read it with
    GDAL instead. Rows are in file order.
    """
    if path.stat().st_size < MIN_BYTES:
        return None
    data = path.read_bytes()
    first = data.find(b"\n") + 1
    end = len(data)
    while end and data[end - 1] in b" \t\r\n":
        end -= 1
    last = data.rfind(b"\n", 0, end) + 1
    if not 0 < first < last or not _OPENING.fullmatch(data[:first]) or data[last:end] != b"]}":
        return None
    # JSON strings cannot hold a raw newline, so ",\n" only ever ends a feature line
    newline = b"\r\n" if data[first - 2:first] == b"\r\n" else b"\n"
    body = data[first:last].replace(b"," + newline, newline)
    for kind, (coords_type, geom_type) in _KINDS.items():
        table = _parse(body, props, coords_type)
        if table is not None:
            return _frame(table, props, kind, geom_type)
    return None


def _parse(body: bytes, props: list[str], coords_type: pa.DataType) -> pa.Table | None:
    schema = pa.schema([
        ("properties", pa.struct([(p, pa.string()) for p in props])),
        ("geometry", pa.struct([("type", pa.string()), ("coordinates", coords_type)])),
    ])
    parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    # 1 MB blocks parse fastest here; a feature longer than a block needs one block for all
    for block in (BLOCK_BYTES, len(body) + 1):
        try:
            return pj.read_json(io.BytesIO(body), parse_options=parse,
                                read_options=pj.ReadOptions(use_threads=False, block_size=block))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            if "straddl" not in str(exc) or block > len(body):
                return None
    return None


def _frame(table: pa.Table, props: list[str], kind: str,
           geom_type: shapely.GeometryType) -> gpd.GeoDataFrame | None:
    geom = table.column("geometry").combine_chunks()
    coords = geom.field("coordinates")
    kinds = pc.fill_null(pc.equal(geom.field("type"), kind), False)
    if geom.null_count or coords.null_count or coords.offset or len(geom) == 0 or not pc.all(kinds).as_py():
        return None
    offsets = []
    level = coords
    while pa.types.is_list(level.type.value_type):  # down to the (x, y) lists
        offsets.append(np.asarray(level.offsets))
        level = level.values
    if (level.null_count or level.values.null_count
            or not pc.all(pc.equal(pc.list_value_length(level), 2)).as_py()):
        return None  # a point with a third value, an empty one, or a null number
    xy = np.asarray(level.values).reshape(-1, 2)
    rings = offsets[-1]  # ring -> first point
    first, end = rings[:-1], rings[1:]
    if len(first) == 0 or (end - first < 4).any() or (xy[first] != xy[end - 1]).any():
        return None  # a ring that is not closed: shapely would close it, GDAL refuses it
    try:
        polygons = shapely.from_ragged_array(geom_type, xy, tuple(reversed(offsets)))
    except (shapely.errors.GEOSException, ValueError):
        return None
    columns = {}
    properties = table.column("properties").combine_chunks()
    for p in props:
        values = properties.field(p)
        if values.null_count == len(values):
            return None  # missing from every feature: GDAL says which property
        columns[p] = values.to_numpy(zero_copy_only=False)
    return gpd.GeoDataFrame(columns, geometry=polygons, crs=WGS84)
