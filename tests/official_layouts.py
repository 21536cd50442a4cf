"""Files in the publishers' own layouts, made at test time from the mirror's real data.

The loopback download tests serve these at the catalogue's direct-link paths
(``<root>/<host>/<path>``, the layout ``NEEDSMAP_URL_PREFIX`` rewrites to). Nothing here
is committed: every file is written into a temporary directory from the mirror.

What each one is (the layouts are those of ``../shared/geodata/OFFICIAL_SOURCES.md``):

* IoD2025 **File 7** (CSV, 56 official headers): the mirror's domain and sub-domain
  tables (which were read from File 7), LSOA and LAD names from the ONS lookup; the
  8 rows of the official excerpt as published (IDACI, IDAOPI and the mid-2022
  denominators); Blackpool's IDACI and IDAOPI scores from the mirror's exact File 5
  extract; those cells are blank elsewhere (the mirror does not have them).
* IoD2025 **File 8** (XLSX, one sheet per domain, 4 id columns then the indicators): the
  mirror's indicator table (read from File 8 by the IMD package) with official headers.
* GIAS **edubasealldata** (Windows-1252, the 139 official columns, ``EstablishmentStatus
  (name)`` = ``Open``): the mirror's open establishments.
* NHS ODS **epraccur report** (27 columns, no header; status names and role ids): the
  mirror's legacy copy with its status codes and prescribing settings mapped to the
  report's values.
* police.uk **archive** (``latest.zip``: ``YYYY-MM/YYYY-MM-<force>-street.csv`` members, and
  an outcomes file): the mirror's 31 monthly files.
* ONS **feature services**: the mirror's LSOA, UK BSC (GeoPackage in EPSG:27700, served
  in EPSG:4326) and Blackpool/Dudley ward boundaries (as layers with geometry) and
  lookups (as table layers; the LSOA 2011 -> 2021 one with the older service's
  ``F_LSOA11CD``), paged at 2,000 (1,000 for that lookup).
* ONS **hub CSV** (UTF-8 with a BOM, an ``FID`` column first): the LSOA -> MSOA 2011 pairs.
* DfE **list of family hub sites** (UTF-8 with a BOM; ``Region``, ``Local_Authority``,
  ``Family_Hub``, ``Postcode``, located by postcode): the mirror has no family hub list, so
  the rows are the mirror's two real Trafford children's centres (names and postcodes as
  published by Trafford Data Lab from GIAS) in the family hub list's layout. This tests the
  download, the layout check and the reader on real sites, not the national list's figures.
* Byte copies where the publisher's file is the mirror's (Code-Point Open behind a
  redirect, Libraries Hacked, Trafford Data Lab's lists).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from badinput.loopback import FeatureLayer

from needsmap.ingest.iod import clean_name
from needsmap.sources import load_catalogue

IOD = "deprivation/iod2025"

#: GIAS all-establishments header (OFFICIAL_SOURCES.md section 7, a fixture built from a
#: real download).
GIAS_HEADER = (
    "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (code),"
    "TypeOfEstablishment (name),EstablishmentTypeGroup (code),EstablishmentTypeGroup (name),"
    "EstablishmentStatus (code),EstablishmentStatus (name),ReasonEstablishmentOpened (code),"
    "ReasonEstablishmentOpened (name),OpenDate,ReasonEstablishmentClosed (code),"
    "ReasonEstablishmentClosed (name),CloseDate,PhaseOfEducation (code),PhaseOfEducation (name),"
    "StatutoryLowAge,StatutoryHighAge,Boarders (code),Boarders (name),NurseryProvision (name),"
    "OfficialSixthForm (code),OfficialSixthForm (name),Gender (code),Gender (name),"
    "ReligiousCharacter (code),ReligiousCharacter (name),ReligiousEthos (name),Diocese (code),"
    "Diocese (name),AdmissionsPolicy (code),AdmissionsPolicy (name),SchoolCapacity,"
    "SpecialClasses (code),SpecialClasses (name),CensusDate,NumberOfPupils,NumberOfBoys,"
    "NumberOfGirls,PercentageFSM,TrustSchoolFlag (code),TrustSchoolFlag (name),Trusts (code),"
    "Trusts (name),SchoolSponsorFlag (name),SchoolSponsors (name),FederationFlag (name),"
    "Federations (code),Federations (name),UKPRN,FEHEIdentifier,FurtherEducationType (name),"
    "OfstedLastInsp,OfstedSpecialMeasures (code),OfstedSpecialMeasures (name),LastChangedDate,"
    "Street,Locality,Address3,Town,County (name),Postcode,SchoolWebsite,TelephoneNum,"
    "HeadTitle (name),HeadFirstName,HeadLastName,HeadPreferredJobTitle,"
    "BSOInspectorateName (name),InspectorateReport,DateOfLastInspectionVisit,"
    "NextInspectionVisit,TeenMoth (name),TeenMothPlaces,CCF (name),SENPRU (name),EBD (name),"
    "PlacesPRU,FTProv (name),EdByOther (name),Section41Approved (name),SEN1 (name),SEN2 (name),"
    "SEN3 (name),SEN4 (name),SEN5 (name),SEN6 (name),SEN7 (name),SEN8 (name),SEN9 (name),"
    "SEN10 (name),SEN11 (name),SEN12 (name),SEN13 (name),TypeOfResourcedProvision (name),"
    "ResourcedProvisionOnRoll,ResourcedProvisionCapacity,SenUnitOnRoll,SenUnitCapacity,"
    "GOR (code),GOR (name),DistrictAdministrative (code),DistrictAdministrative (name),"
    "AdministrativeWard (code),AdministrativeWard (name),ParliamentaryConstituency (code),"
    "ParliamentaryConstituency (name),UrbanRural (code),UrbanRural (name),GSSLACode (name),"
    "Easting,Northing,CensusAreaStatisticWard (name),MSOA (name),LSOA (name),"
    "InspectorateName (name),SENStat,SENNoStat,BoardingEstablishment (name),PropsName,"
    "PreviousLA (code),PreviousLA (name),PreviousEstablishmentNumber,OfstedRating (name),"
    "RSCRegion (name),Country (name),UPRN,SiteName,QABName (code),QABName (name),"
    "EstablishmentAccredited (code),EstablishmentAccredited (name),QABReport,CHNumber,"
    "MSOA (code),LSOA (code)").split(",")
GIAS_FROM_MIRROR = {
    "URN": "urn", "LA (code)": "la_code", "LA (name)": "la_name",
    "EstablishmentNumber": "establishment_number", "EstablishmentName": "establishment_name",
    "TypeOfEstablishment (name)": "establishment_type",
    "EstablishmentTypeGroup (name)": "establishment_type_group",
    "PhaseOfEducation (name)": "education_phase", "NumberOfPupils": "number_of_pupils",
    "PercentageFSM": "percentage_fsm", "Easting": "easting", "Northing": "northing",
    "LSOA (code)": "lsoa_code", "ParliamentaryConstituency (code)": "pcon_code"}

#: epraccur legacy values -> the current report's (status names; role ids, RO76 = GP).
EPRACCUR_STATUS = {"A": "ACTIVE", "C": "INACTIVE", "D": "DORMANT", "P": "PROPOSED"}
EPRACCUR_ROLE = {"4": "RO76", "1": "RO87", "2": "RO80", "3": "RO87|RO80"}

#: File 8 sheets and the mirror indicator columns on each (IMD package names).
FILE8_SHEETS = {
    "IoD25 Income Domain": [
        "income_domain_numerator", "income_deprivation_affecting_children_index_idaci_numerator",
        "income_deprivation_affecting_older_people_index_idaopi_numerator"],
    "IoD25 Employment Domain": ["employment_domain_numerator"],
    "IoD25 Education Domain": ["adult_skills_and_english_language_proficiency_indicator",
                               "entry_to_higher_education_indicator"],
    "IoD25 Health Domain": ["acute_morbidity_indicator",
                            "comparative_illness_and_disability_ratio_indicator",
                            "mental_health_indicator", "years_of_potential_life_lost_indicator"],
    "IoD25 Crime Domain": [
        "violence_with_injury_rate_per_1_000_at_risk_population",
        "violence_without_injury_rate_per_1_000_at_risk_population",
        "stalking_and_harassment_rate_per_1_000_at_risk_population",
        "burglary_rate_per_1_000_at_risk_properties", "theft_rate_per_1_000_at_risk_population",
        "criminal_damage_rate_per_1_000_at_risk_population",
        "public_order_and_possession_of_weapons_rate_per_1_000_at_risk_population",
        "anti_social_behaviour_rate_per_1_000_at_risk_population"],
}
#: Official headers documented in OFFICIAL_SOURCES.md (File 8 income and crime sheets).
FILE8_HEADERS = {
    "income_domain_numerator": "Income Domain numerator",
    "income_deprivation_affecting_children_index_idaci_numerator":
        "Income Deprivation Affecting Children Index (IDACI) numerator",
    "income_deprivation_affecting_older_people_index_idaopi_numerator":
        "Income Deprivation Affecting Older People Index (IDAOPI) numerator",
    "violence_with_injury_rate_per_1_000_at_risk_population":
        "Violence with injury, rate per 1,000 'at-risk population'",
    "violence_without_injury_rate_per_1_000_at_risk_population":
        "Violence without injury, rate per 1,000 'at-risk population'",
    "stalking_and_harassment_rate_per_1_000_at_risk_population":
        "Stalking and harassment, rate per 1,000 'at-risk population'",
    "burglary_rate_per_1_000_at_risk_properties": "Burglary, rate per 1,000 'at-risk properties'",
    "theft_rate_per_1_000_at_risk_population": "Theft, rate per 1,000 'at-risk population'",
    "criminal_damage_rate_per_1_000_at_risk_population":
        "Criminal damage, rate per 1,000 'at-risk population'",
    "public_order_and_possession_of_weapons_rate_per_1_000_at_risk_population":
        "Public order and Possession of weapons, rate per 1,000 'at-risk population'",
    "anti_social_behaviour_rate_per_1_000_at_risk_population":
        "Anti-Social Behaviour, rate per 1,000 'at-risk population'",
    "core_homelessness_rate_percent_of_households": "Core homelessness rate (% of households)",
    "homelessness_indicator_rate_per_1_000_households":
        "Homelessness indicator (rate per 1,000 households)",
}
FILE8_IDS = ["LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
             "Local Authority District name (2024)"]


def rel(url: str) -> str:
    """The file path a prefix-rewritten link asks the loopback server for."""
    p = urlsplit(url)
    return f"{p.netloc}{p.path}"


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        r = csv.DictReader(fh)
        return list(r.fieldnames or []), list(r)


def _write_csv(dest: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8",
               bom: bool = False, quote_all: bool = False) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if encoding != "utf-8" else "\n",
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    if header:
        w.writerow(header)
    w.writerows(["" if v is None else v for v in r] for r in rows)
    data = buf.getvalue().encode(encoding, errors="replace")
    dest.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def file7(mirror: Path, dest: Path) -> None:
    """IoD2025 File 7 in the official layout (see the module docstring)."""
    head, ex_rows = _read(mirror / IOD / "iod2025_file7_official_excerpt.csv")
    excerpt = {r[head[0]]: [r[h] for h in head] for r in ex_rows}
    _, dom = _read(mirror / IOD / "iod2025_lsoa21_domains.csv")
    sub_h, sub = _read(mirror / IOD / "iod2025_lsoa21_subdomains.csv")
    subs = {r["lsoa21_code"]: [r[h] for h in sub_h[1:]] for r in sub}
    _, ext = _read(mirror / IOD / "iod2025_file5_extract_blackpool.csv")
    bp = {r["lsoa21cd"]: r for r in ext}
    _, lu = _read(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv")
    names = {r["LSOA21CD"]: r for r in lu}
    dom_cols = list(dom[0])[1:]  # IMD and the 7 domains: score, rank, decile (File 7's order)
    rows = []
    for r in dom:
        code = r["lsoa21_code"]
        if code in excerpt:
            rows.append(excerpt[code])
            continue
        n = names[code]
        b = bp.get(code)
        idaci = [b["idaci_score_rate"], "", ""] if b else ["", "", ""]
        idaopi = [b["idaopi_score_rate"], "", ""] if b else ["", "", ""]
        rows.append([code, n["LSOA21NM"], n["LAD24CD"], n["LAD24NM"], *[r[c] for c in dom_cols],
                     *idaci, *idaopi, *subs[code], "", "", "", ""])
    assert all(len(x) == 56 for x in rows)
    _write_csv(dest, head, rows)


def file8(mirror: Path, dest: Path) -> None:
    """IoD2025 File 8 as an XLSX workbook (a Notes sheet, then one sheet per domain)."""
    import xlsxwriter

    _, ind = _read(mirror / IOD / "iod2025_lsoa21_underlying_indicators.csv")
    _, lu = _read(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv")
    names = {r["LSOA21CD"]: r for r in lu}
    barriers = [c for c in ind[0] if c != "lsoa21_code"
                and all(c not in v for v in FILE8_SHEETS.values())]
    sheets = dict(FILE8_SHEETS, **{"IoD25 Barriers Domain": barriers})
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(dest), {"constant_memory": True})
    wb.add_worksheet("Notes").write(0, 0, "English Indices of Deprivation 2025: File 8 "
                                          "(layout made for a test)")
    for sheet, cols in sheets.items():
        headers = [FILE8_HEADERS.get(c, c.replace("_", " ").capitalize()) for c in cols]
        assert [clean_name(h) for h in headers] == cols, (sheet, headers)
        ws = wb.add_worksheet(sheet)
        ws.write_row(0, 0, FILE8_IDS + headers)
        for i, r in enumerate(ind, start=1):
            n = names[r["lsoa21_code"]]
            ws.write_row(i, 0, [r["lsoa21_code"], n["LSOA21NM"], n["LAD24CD"], n["LAD24NM"]])
            for j, c in enumerate(cols, start=4):
                if r[c] != "":
                    ws.write_number(i, j, float(r[c]))
    wb.close()


def gias(mirror: Path, dest: Path) -> None:
    """GIAS all-establishments file (Windows-1252, official columns, quoted as published)."""
    _, rows = _read(mirror / "services/gias_open_establishments_20250524.csv")
    out = []
    for r in rows:
        rec = dict.fromkeys(GIAS_HEADER, "")
        for k, v in GIAS_FROM_MIRROR.items():
            rec[k] = r[v]
        rec["EstablishmentStatus (name)"] = "Open"
        rec["EstablishmentStatus (code)"] = "1"
        out.append([rec[h] for h in GIAS_HEADER])
    _write_csv(dest, GIAS_HEADER, out, encoding="cp1252", quote_all=True)


def epraccur_report(mirror: Path, dest: Path) -> None:
    """The ODS report layout: the legacy copy with status names and role ids."""
    with open(mirror / "services/epraccur.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for r in rows:
        r[12] = EPRACCUR_STATUS.get(r[12], r[12])
        r[25] = EPRACCUR_ROLE.get(r[25], "RO72")
    _write_csv(dest, [], rows, quote_all=True)


#: The family hub list's columns (OFFICIAL_SOURCES.md section 11; the full header is `?`).
FAMILY_HUB_HEADER = ["Region", "Local_Authority", "Family_Hub", "Postcode"]


def family_hubs(mirror: Path, dest: Path) -> int:
    """The family hub list's layout from the mirror's Trafford sites; return the rows."""
    _, rows = _read(mirror / "services/trafford_childrens_centres.csv")
    out = [["North West", "Trafford", r["name"], r["postcode"]] for r in rows]
    _write_csv(dest, FAMILY_HUB_HEADER, out, bom=True)
    return len(out)


def police_archive(mirror: Path, dest: Path) -> None:
    """police.uk's archive layout from the mirror's 31 monthly files (plus an outcomes file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((mirror / "crime/police_uk").glob("*/*-street.csv")):
            zf.write(f, f"{f.parent.name}/{f.name}")
        zf.writestr("2025-06/2025-06-gwent-outcomes.csv", "Crime ID,Month\n")


def geo_layer(paths: list[Path], page: int = 2000) -> FeatureLayer:
    feats = []
    for p in paths:
        feats += json.loads(p.read_text(encoding="utf-8"))["features"]
    return FeatureLayer(feats, page=page)


def gpkg_layer(path: Path, page: int = 2000) -> FeatureLayer:
    """A feature layer (GeoJSON in EPSG:4326, as the service answers ``f=geojson``) from the
    mirror's GeoPackage in EPSG:27700."""
    import geopandas as gpd

    gdf = gpd.read_file(path, engine="pyogrio").to_crs(4326)
    feats = json.loads(gdf.to_json(drop_id=True))["features"]
    return FeatureLayer(feats, page=page)


def table_layer(path: Path, rename: dict[str, str] | None = None, page: int = 2000) -> FeatureLayer:
    _, rows = _read(path)
    rename = rename or {}
    return FeatureLayer([{"properties": {rename.get(k, k): v for k, v in r.items()}}
                         for r in rows], page=page, table=True)


def build(mirror: Path, root: Path, today: dt.date) -> dict[str, object]:
    """Write every served file under ``root``; return the feature layers and redirects."""
    cat = load_catalogue()
    src = {s.id: s for s in cat}
    file7(mirror, root / rel(src["iod2025_file7"].download))
    file8(mirror, root / rel(src["iod2025_indicators"].download))
    gias(mirror, root / rel(src["gias_open"].download.format(date=today - dt.timedelta(days=1))))
    epraccur_report(mirror, root / rel(src["epraccur"].download))
    police_archive(mirror, root / rel(cat.collection("police_uk").download))
    n_hubs = family_hubs(mirror, root / rel(src["family_hubs"].download))
    for sid in ("libraries", "trafford_childrens_centres", "gm_pharmacies"):
        d = root / rel(src[sid].download)
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / src[sid].path, d)
    hub = root / rel(src["lsoa11_msoa11_lookup"].download)
    head, rows = _read(mirror / src["lsoa11_msoa11_lookup"].path)
    _write_csv(hub, ["FID", *head], [[i, *[r[h] for h in head]] for i, r in enumerate(rows, 1)],
               bom=True)
    cp = root / "osdatahub-downloads/CodePointOpen/codepo_gb.zip"
    cp.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mirror / src["codepoint_open"].path, cp)
    layers = {
        rel(src["lsoa21_boundaries"].download): geo_layer([mirror / src["lsoa21_boundaries"].path]),
        rel(src["wd24_boundaries_blackpool"].download): geo_layer(
            [mirror / src["wd24_boundaries_blackpool"].path,
             mirror / src["wd24_boundaries_dudley"].path]),
        rel(src["wd24_boundaries_bsc"].download): gpkg_layer(mirror / src["wd24_boundaries_bsc"].path),
        rel(src["lsoa21_wd24_lookup"].download): table_layer(mirror / src["lsoa21_wd24_lookup"].path),
        rel(src["lsoa11_lsoa21_lookup"].download): table_layer(
            mirror / src["lsoa11_lsoa21_lookup"].path, {"LSOA11CD": "F_LSOA11CD"}, page=1000),
    }
    redirects = {rel(src["codepoint_open"].download): "osdatahub-downloads/CodePointOpen/codepo_gb.zip"}
    return {"layers": layers, "redirects": redirects, "family_hubs": n_hubs}
