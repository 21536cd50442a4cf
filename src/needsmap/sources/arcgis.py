"""Read an ONS ArcGIS feature-service layer page by page into one file.

The ONS Open Geography Portal serves each product as a FeatureServer layer
(``.../rest/services/<SERVICE>/FeatureServer/0``). A query returns at most the
layer's ``maxRecordCount`` features (1,000 or 2,000 on the ONS layers), so a whole
layer is read in pages::

    <layer>/query?where=1=1&outFields=*&outSR=4326&f=geojson
                 &orderByFields=<OID>&resultOffset=<n>&resultRecordCount=<page>

The offset advances by the number of features a page actually returned (never by
the page size asked for). More pages follow while ``exceededTransferLimit`` is true
(top level in ``f=json``, under ``properties`` in ``f=geojson``; both are read) or a
page came back full; an empty page ends it. The total from ``returnCountOnly=true``
is checked at the end, so a layer read short is an error, not a smaller file.

Layers with geometry are written as one GeoJSON FeatureCollection (EPSG:4326, as
the ONS GeoJSON downloads). Table layers (the lookups) have no geometry: they are
written as CSV with the layer's field names, in the layer's field order, which are
the column names of the hub's CSV download (plus its ``ObjectId``/``FID``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx

#: Page size used when the layer does not say (the smallest seen on ONS layers).
DEFAULT_PAGE = 1000


class ArcGISError(RuntimeError):
    """The service answered, but not with the features asked for."""


def _get_json(client: httpx.Client, url: str, params: dict[str, object]) -> dict:
    resp = client.get(url, params=params)
    if resp.status_code >= 400:
        raise httpx.HTTPStatusError(f"HTTP {resp.status_code} {resp.reason_phrase} from {resp.url}",
                                    request=resp.request, response=resp)
    try:
        data = resp.json()
    except ValueError as exc:
        raise ArcGISError(f"{resp.url}: not JSON ({resp.text[:80]!r})") from exc
    if isinstance(data, dict) and "error" in data:
        err = data["error"]
        raise ArcGISError(f"{resp.url}: service error {err.get('code')}: {err.get('message')}")
    return data


def layer_info(client: httpx.Client, layer_url: str) -> dict:
    """The layer's metadata (``?f=json``): fields, ``maxRecordCount``, object id field."""
    return _get_json(client, layer_url, {"f": "json"})


def fetch_layer(client: httpx.Client, layer_url: str, out: IO[str], where: str = "1=1",
                progress: Callable[[int, int | None], None] | None = None) -> int:
    """Read every feature of ``layer_url`` matching ``where`` into ``out``; return the count.

    Parameters
    ----------
    client
        An httpx client (redirects followed).
    layer_url
        ``.../FeatureServer/<n>`` (no ``/query``).
    out
        Text stream the GeoJSON or CSV is written to.
    where
        The service's ``where`` clause (``1=1``: every feature).
    progress
        Called with ``(features so far, total or None)`` after each page.
    """
    info = layer_info(client, layer_url)
    page = int(info.get("maxRecordCount") or DEFAULT_PAGE)
    oid = info.get("objectIdField") or next(
        (f["name"] for f in info.get("fields", []) if f.get("type") == "esriFieldTypeOID"), None)
    fields = [f["name"] for f in info.get("fields", []) if f.get("name")]
    has_geometry = bool(info.get("geometryType")) and info.get("type") != "Table"
    query = layer_url.rstrip("/") + "/query"
    total = _get_json(client, query, {"where": where, "returnCountOnly": "true", "f": "json"}
                      ).get("count")
    total = int(total) if total is not None else None
    writer = _GeoJSONWriter(out) if has_geometry else _CSVWriter(out, fields)
    offset = 0
    while True:
        params: dict[str, object] = {"where": where, "outFields": "*", "outSR": 4326,
                                     "f": "geojson", "resultOffset": offset,
                                     "resultRecordCount": page}
        if oid:
            params["orderByFields"] = oid
        data = _get_json(client, query, params)
        feats = data.get("features")
        if not isinstance(feats, list):
            raise ArcGISError(f"{query}: page at offset {offset} has no 'features' list")
        for f in feats:
            writer.write(f)
        offset += len(feats)
        if progress:
            progress(offset, total)
        more = bool(data.get("exceededTransferLimit")
                    or (data.get("properties") or {}).get("exceededTransferLimit"))
        if not feats or not (more or len(feats) >= page):
            break
    writer.close()
    if total is not None and offset != total:
        raise ArcGISError(f"{layer_url}: read {offset:,} features but the service counts "
                          f"{total:,} for where={where!r}")
    if offset == 0:
        raise ArcGISError(f"{layer_url}: no features for where={where!r}")
    return offset


class _GeoJSONWriter:
    """One FeatureCollection, one feature per line (as the mirror's GeoJSON files)."""

    def __init__(self, out: IO[str]) -> None:
        self.out, self.n = out, 0
        out.write('{"type":"FeatureCollection","features":[\n')

    def write(self, feature: dict) -> None:
        self.out.write((",\n" if self.n else "") + json.dumps(
            {"type": "Feature", "properties": feature.get("properties") or {},
             "geometry": feature.get("geometry")}, separators=(",", ":")))
        self.n += 1

    def close(self) -> None:
        self.out.write("\n]}\n")


class _CSVWriter:
    """The hub's CSV: the layer's field names as the header, one row per feature."""

    def __init__(self, out: IO[str], fields: list[str]) -> None:
        self.out, self.fields = out, fields
        self.w: csv.DictWriter | None = None

    def write(self, feature: dict) -> None:
        props = feature.get("properties") or feature.get("attributes") or {}
        if self.w is None:
            cols = self.fields or list(props)
            cols += [k for k in props if k not in cols]
            self.w = csv.DictWriter(self.out, fieldnames=cols, extrasaction="ignore",
                                    lineterminator="\n")
            self.w.writeheader()
        self.w.writerow({k: ("" if v is None else v) for k, v in props.items()})

    def close(self) -> None:
        if self.w is None and self.fields:
            csv.writer(self.out, lineterminator="\n").writerow(self.fields)


def write_layer(client: httpx.Client, layer_url: str, dest: Path, where: str = "1=1",
                progress: Callable[[int, int | None], None] | None = None) -> int:
    """:func:`fetch_layer` into the file ``dest`` (UTF-8)."""
    with open(dest, "w", encoding="utf-8", newline="") as fh:
        return fetch_layer(client, layer_url, fh, where, progress)
