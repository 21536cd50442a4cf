"""ONS boundaries in every form the publisher offers, CRS read from the file.

The mirror's Blackpool ward boundaries (GeoJSON, EPSG:4326) are written by the test as
the ONS hub's other downloads: a GeoPackage and a zipped Shapefile in EPSG:27700 (British
National Grid), and a feature-service GeoJSON (the pages joined by
``needsmap.sources.arcgis``: one feature per line, an ``ObjectId`` property). Each is read
and validated as the areas stage does; the wards and their areas must agree.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
from badinput.loopback import FeatureLayer, serve

from needsmap.ingest.boundaries import read_features, validate
from needsmap.ingest.report import FileReport
from needsmap.sources.arcgis import write_layer
from needsmap.sources.layouts import get_layout

BGC = "boundaries/wards_may2024_bgc_blackpool.geojson"
PROPS = ["WD24CD", "WD24NM", "LAD24CD"]


def _read(path: Path) -> gpd.GeoDataFrame:
    fr = FileReport("wd24", str(path))
    g = validate(read_features(path, PROPS), path, fr, "WD24CD", "WD24NM", r"[EW]05[0-9]{6}")
    return g.sort_values("code").reset_index(drop=True)


def test_geojson_geopackage_shapefile_and_feature_service_agree(mirror: Path, tmp_path: Path):
    src = mirror / BGC
    g = gpd.read_file(src)
    bng = g.to_crs(27700)
    gpkg = tmp_path / "Wards_May_2024_Boundaries_UK_BGC.gpkg"
    bng.to_file(gpkg, driver="GPKG")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    bng.to_file(shp_dir / "WD_MAY_2024_UK_BGC.shp")
    shz = tmp_path / "Wards_May_2024_Boundaries_UK_BGC.zip"
    with zipfile.ZipFile(shz, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    import json

    feats = json.loads(src.read_text())["features"]
    with serve(tmp_path) as srv:
        srv.feature_layer("svc/FeatureServer/0", FeatureLayer(feats, page=8))
        fs = tmp_path / "from_service.geojson"
        with httpx.Client() as client:
            n = write_layer(client, f"{srv.url}/svc/FeatureServer/0", fs)
        assert n == 21 and len(srv.pages) == 3  # 8 + 8 + 5
    lay = get_layout("ons_wd24_boundaries")
    for p in (gpkg, shz, fs):
        assert lay.check(p, full=True).startswith("layout ons_wd24_boundaries")
    base = _read(src)
    assert len(base) == 21
    for p in (gpkg, shz, fs):
        other = _read(p)
        assert other["code"].tolist() == base["code"].tolist(), p.name
        assert other.crs.to_epsg() == 27700
        ratio = (other.geometry.area / base.geometry.area).to_numpy()
        assert ratio == pytest.approx(1.0, abs=1e-6), p.name
    assert gpd.read_file(gpkg).crs.to_epsg() == 27700  # the CRS came from the file
