"""The store contract: every table the build writes, its columns, and what each one means.

Writers and readers both use this module. The build checks the finished store
against it (:func:`check_store`: no missing, no extra columns, in order), and
readers take column lists from it (:func:`columns`) and fail with a clear message
when a table or column is absent (:func:`require`), instead of guessing names.

Geometry columns: ``geom`` is EPSG:27700 (metres), ``geom_wgs84`` is EPSG:4326.
Rates are fractions (0-1) unless the name says ``per_1000``; ``*_score`` columns are
IoD2025 domain scores (higher = more deprived); ``decile`` 1 = the highest-need tenth.
To add a column: add it here, in the writer's SQL, and in ``docs/method.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from needsmap.sql import run_sql

# --------------------------------------------------------------------------- meanings
#: Meanings of columns that recur across tables (a table may override one).
COMMON: dict[str, str] = {
    "nation": "England or Wales: each nation's figures and index are its own, never ranked "
              "together",
    "vintage_wimd": "WIMD 2019 release used (Wales)",
    "lsoa_code": "LSOA 2021 code (GSS E01...)",
    "lsoa_name": "LSOA 2021 name",
    "ward_code": "electoral ward (May 2024) code (GSS E05...)",
    "ward_name": "electoral ward (May 2024) name",
    "lad_code": "local authority district (May 2024) code (GSS E06/E07/E08/E09...)",
    "lad_name": "local authority district (May 2024) name",
    "area_code": "area code (E92000001 for England)",
    "area_name": "area name",
    "n_lsoa": "number of LSOAs aggregated",
    "population": "usual residents, Census 2021 (sum over LSOAs)",
    "children_0_15": "usual residents aged 15 and under, Census 2021 (sum over LSOAs)",
    "under5": "children aged 0-4, ONS mid-2020 estimates carried from LSOA 2011 to 2021 "
              "(needsmap.areas.lsoa11; whole numbers summing to the source; sum over LSOAs)",
    "area_km2": "land area in km² (EPSG:27700 polygon area)",
    "density_per_km2": "residents per km² of land: population / area_km2",
    "idaci_numerator": "IoD2025 IDACI numerator: children 0-15 in income-deprived families",
    "child_poverty_method": "which child poverty rate this is: the official IDACI score (IoD2025 "
                            "File 7 over mid-2022 children; File 5 over Census children), the "
                            "estimate IDACI numerator / Census 2021 children (capped at 1 where "
                            "the denominators disagree), or for an area a mix of the two",
    "child_poverty_rate": "share of children 0-15 in income-deprived families (IDACI), 0-1: "
                          "child_poverty_children / child_poverty_denominator",
    "child_poverty_children": "children counted as income-deprived (numerator of the rate)",
    "child_poverty_denominator": "children 0-15 the rate is out of (mid-2022 for File 7's "
                                 "official scores, Census 2021 otherwise)",
    "n_lsoa_cp_imputed": "LSOAs whose IDACI numerator is suppressed (0-9; imputed 4.5)",
    "n_lsoa_cp_official": "LSOAs with the official IDACI score",
    "n_lsoa_cp_capped": "LSOAs whose estimate was capped at 1 (the IDACI numerator exceeds "
                        "the Census children: the denominators disagree)",
    "income_numerator": "IoD2025 income domain numerator (people income-deprived)",
    "income_rate": "IoD2025 income deprivation rate, 0-1 (population-weighted for areas)",
    "employment_rate": "IoD2025 employment deprivation rate, 0-1 (population-weighted)",
    "education_score": "IoD2025 education, skills and training score (population-weighted)",
    "health_score": "IoD2025 health deprivation and disability score (population-weighted)",
    "crime_score": "IoD2025 crime domain score (population-weighted)",
    "barriers_score": "IoD2025 barriers to housing and services score",
    "living_environment_score": "IoD2025 living environment score",
    "imd_score": "IoD2025 Index of Multiple Deprivation score (population-weighted)",
    "imd_rank": "IoD2025 IMD rank of the LSOA (1 = most deprived in England)",
    "imd_decile": "IoD2025 IMD decile of the LSOA (1 = most deprived tenth)",
    "income_rank": "IoD2025 income domain rank of the LSOA (1 = most deprived in England)",
    "crime_rank": "IoD2025 crime domain rank of the LSOA (1 = most deprived in England)",
    "cilif_children": "DWP children in relative low income families, FYE2022, apportioned "
                      "from MSOA 2011",
    "cilif_rate": "cilif_children / children_0_15",
    # File 8 proxies of the domains index (areas: resident-weighted means over LSOAs)
    "violence_without_injury_rate": "IoD2025 File 8: police recorded violence without injury "
                                    "per 1,000 at-risk population",
    "violence_with_injury_rate": "IoD2025 File 8: police recorded violence with injury per "
                                 "1,000 at-risk population",
    "stalking_harassment_rate": "IoD2025 File 8: police recorded stalking and harassment per "
                                "1,000 at-risk population",
    "mental_health_indicator": "IoD2025 File 8: mental health indicator (standardised score; "
                               "higher = more mental ill health)",
    "public_order_weapons_rate": "IoD2025 File 8: police recorded public order and possession "
                                 "of weapons offences per 1,000 at-risk population",
    "antisocial_behaviour_rate": "IoD2025 File 8: police recorded anti-social behaviour "
                                 "incidents per 1,000 at-risk population",
    "overcrowding_bedrooms_share": "IoD2025 File 8 (Census 2021): share of households with "
                                   "fewer bedrooms than the bedroom standard, 0-1",
    "vintage_iod": "vintage of the IoD inputs",
    "vintage_census": "vintage of the Census inputs",
    "vintage_lookup": "vintage of the LSOA->ward lookup",
    "vintage_cilif": "vintage of the CiLIF inputs",
    "n_ward": "number of wards in the LAD",
    "geom_method": "how the ward polygon was made: the ONS May 2024 boundary product the whole "
                   "map uses (ons_wd24_bsc, ons_wd24_bgc, ons_wd24_bfc), or "
                   "lsoa21_best_fit_dissolve when no ward boundary file was available",
    "value_method": "which LSOA->ward weights the ward's figures rest on: best_fit (whole "
                    "LSOAs of the ONS best-fit lookup), areal (LSOA area shares), or mixed",
    "fit_share_of_ward": "share of the ward's area covered by the LSOAs its figures come from, "
                         "0-1 (needsmap.areas.weights)",
    "fit_spill": "share of those LSOAs' area (as apportioned to the ward) lying outside it, 0-1",
    "fit_poor": "fit_share_of_ward < 0.8 or fit_spill > 0.2: 'figures for this ward are "
                "estimated from areas that only partly match it'",
    "w": "weight of the LSOA in the ward; sums to 1 over each LSOA's wards",
    "geom": "geometry, EPSG:27700",
    "geom_wgs84": "geometry, EPSG:4326 (for display)",
    "source_id": "catalogue id of the source file",
    "file": "input file name",
    "service_type": "service type (vocabulary key, needsmap.ingest.services.vocab)",
    "measure": "access measure (straight_line_km)",
    "police_force": "police force (police.uk slug)",
    "month": "month of the record",
    "rows_read": "data rows read from the file",
    "rows_kept": "rows kept",
    "rows_rejected": "rows rejected with a reason (rejected_rows)",
    "header": "header variant of the police.uk file (standard or snake_case)",
    "lsoa_agree": "kept rows whose own LSOA code agrees with point-in-polygon",
    "lsoa_checked": "kept rows with an LSOA code to compare",
    "method": "index combination method (a key of the index method registry)",
    "ace_score": "modelled ACE risk score (method-specific scale; higher = higher modelled "
                 "risk)",
    "ace_rank_england": "rank in England (1 = highest modelled risk)",
    "ace_decile_england": "decile in England (1 = highest modelled risk tenth)",
    "key": "setting name",
    "value": "setting value",
}


@dataclass(frozen=True)
class Table:
    """One table or view of the store."""

    name: str
    grain: str
    columns: tuple[str, ...]
    meanings: tuple[tuple[str, str], ...] = ()
    kind: str = "table"  # or "view"
    written_by: str = ""

    def meaning(self, column: str) -> str:
        """What ``column`` holds."""
        own = dict(self.meanings)
        if column in own:
            return own[column]
        if column in COMMON:
            return COMMON[column]
        raise KeyError(f"{self.name}.{column} has no meaning in needsmap.store.schema")


def _cols(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.replace("\n", " ").split(",") if c.strip())


_INDICATORS = _cols("""population, children_0_15, under5, area_km2, density_per_km2,
    child_poverty_children, child_poverty_denominator, child_poverty_rate, n_lsoa_cp_imputed,
    n_lsoa_cp_official, n_lsoa_cp_capped, child_poverty_method,
    income_rate, employment_rate, education_score, health_score, crime_score, imd_score,
    cilif_children, cilif_rate""")
#: The File 8 proxies of the domains index (resident measures in aggregate_indicators.sql).
_PROXIES = _cols("""violence_without_injury_rate, violence_with_injury_rate,
    stalking_harassment_rate, mental_health_indicator, public_order_weapons_rate,
    antisocial_behaviour_rate, overcrowding_bedrooms_share""")
_VINTAGES = _cols("vintage_iod, vintage_census, vintage_lookup, vintage_cilif")
_FIT = _cols("value_method, fit_share_of_ward, fit_spill, fit_poor")
_WARD_IND = ("ward_code", "ward_name", "lad_code", "lad_name", "n_lsoa", *_INDICATORS, *_PROXIES,
             *_FIT, *_VINTAGES)
#: Ward figures are LSOA figures carried by lsoa_ward_weight (counts w-weighted, rates
#: recomputed); the meanings below replace the LSOA-sum wording of COMMON for ward tables.
_WARD_MEANINGS = (
    ("n_lsoa", "number of LSOAs with a weight in the ward"),
    ("population", "usual residents, Census 2021: each LSOA's residents times w, as whole "
                   "numbers that sum exactly to the LSOA (lsoa_ward_share)"),
    ("children_0_15", "usual residents aged 15 and under, Census 2021, as population"),
    ("under5", "children aged 0-4 (ONS mid-2020, carried to LSOA 2021), as population"),
    ("area_km2", "area of the LSOAs behind the figures: sum of w x LSOA area (km²), the "
                 "denominator of density_per_km2"),
)

#: WIMD 2019 scores (Wales), carried from LSOA 2011 to 2021 (docs/method.md, "Wales").
_WIMD = _cols("""wimd_score, income_score, employment_score, health_score, education_score,
    access_to_services_score, housing_score, community_safety_score, physical_environment_score""")
_WIMD_MEANINGS = tuple((c, f"WIMD 2019 {c.removesuffix('_score').replace('_', ' ')} score "
                           "(higher = more deprived; LSOA 2011 carried to 2021 by "
                           "lsoa11_means; resident-weighted for areas)") for c in _WIMD)
_WALES_IND = (*_cols("""population, children_0_15, under5, area_km2, density_per_km2,
    cilif_children, cilif_rate"""), *_WIMD)
_WARD_WALES = ("ward_code", "ward_name", "lad_code", "lad_name", "nation", "n_lsoa",
               *_WALES_IND, *_FIT, *_cols("vintage_wimd, vintage_census, vintage_lookup, vintage_cilif"))

#: lsoa_ward_share and its Welsh twin (the lsoa_shares macro of queries/areas_wards.sql).
_SHARE = _cols("lsoa_code, ward_code, w, method, population, children_0_15, under5")
_SHARE_MEANINGS = (
    ("method", "as lsoa_ward_weight.method"),
    ("population", "floor(w x LSOA residents), plus one for the largest remainders: sums "
                   "exactly to the LSOA's residents"),
    ("children_0_15", "the same for children aged 15 and under"),
    ("under5", "the same for children aged 0-4"))

_WARD_ACCESS = _cols("""ward_code, ward_name, lad_code, lad_name, service_type, measure, n_lsoa,
    children_0_15, mean_km_child_weighted, share_children_within_1km, share_children_within_2km,
    max_km, n_services, services_per_1000_children, in_coverage""")


def _ward_access_meanings(shares: str, coverage: str) -> tuple[tuple[str, str], ...]:
    """The column meanings of ``ward_access`` and its Welsh twin (children from ``shares``)."""
    return (("mean_km_child_weighted", "sum(w * children * km) / sum(w * children)"),
            ("share_children_within_1km", "share of children within 1 km, 0-1"),
            ("share_children_within_2km", "share of children within 2 km, 0-1"),
            ("max_km", "largest LSOA distance"),
            ("n_lsoa", "number of LSOAs with a weight in the ward"),
            ("children_0_15", f"children aged 15 and under given to the ward ({shares})"),
            ("n_services", "services of the type in the ward's LSOAs, each counted with its "
                           "LSOA's weight w (whole numbers except where an LSOA is shared)"),
            ("services_per_1000_children", "1000 * n_services / sum(w * children)"),
            ("in_coverage", coverage))


TABLES: dict[str, Table] = {t.name: t for t in (
    # ---- build bookkeeping (pipeline)
    Table("meta", "one row per key: schema_version, needsmap_version, built_at, scope, "
          "build_seconds", ("key", "value"), written_by="pipeline"),
    Table("source", "one row per source file the build used",
          _cols("source_id, publisher, title, url, licence, vintage, form, path, origin, sha256, "
                "download, layout, checked"),
          (("publisher", "publisher of the file"), ("title", "dataset title"),
           ("url", "the publisher's landing page (the page a person reads)"),
           ("licence", "licence"),
           ("vintage", "vintage of the data"), ("form", "the mirror copy's form (official bytes "
                                                      "or a re-serialised table, see the mirror "
                                                      "README), publisher's file or user file"),
           ("path", "local path the build read"), ("origin", "cache, mirror, download or user"),
           ("sha256", "SHA-256 of the file read (for a mirror copy: the catalogue's, checked)"),
           ("download", "the direct link it was (or can be) downloaded from"),
           ("layout", "the publisher's layout it was read as (needsmap.sources.layouts)"),
           ("checked", "how it was checked: sha256 = catalogue, or the layout check")),
          written_by="pipeline"),
    Table("load_report", "one row per input file", _cols(
        "source_id, file, rows_read, rows_kept, rows_rejected, note"),
        (("note", "what else the reader noticed (encoding, suppressed cells...)"),),
        written_by="load report"),
    Table("rejected_rows", "one row per rejected input row", _cols(
        "source_id, file, row, column, reason, raw"),
        (("row", "1-based data row (the header is row 0)"), ("column", "column at fault"),
         ("reason", "why the row was rejected"), ("raw", "the row's text (escaped)")),
        written_by="load report"),
    Table("lookup_lsoa21_wd24", "one row per English LSOA 2021: ONS best-fit lookup",
          _cols("lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name"),
          written_by="pipeline (scope)"),
    Table("scope_lad", "LADs in the build scope", ("lad_code", "lad_name", "nation"),
          written_by="pipeline"),
    # ---- areas stage
    Table("lsoa", "every English LSOA 2021 (always national); ward_code is its best-fit ward "
          "(ward figures use lsoa_ward_weight)", _cols(
        "lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name, area_km2, "
        "centroid_x, centroid_y, centroid_method, geom"),
        (("centroid_x", "easting of the LSOA's representative point, EPSG:27700"),
         ("centroid_y", "northing of the LSOA's representative point, EPSG:27700"),
         ("centroid_method", "point_on_surface (no population-weighted centroids in the "
                             "mirror)")),
        written_by="areas stage"),
    Table("lsoa_indicators", "every English LSOA 2021: the measures every area is built from",
          _cols("""lsoa_code, ward_code, lad_code, population, children_0_15, under5, area_km2,
          density_per_km2, idaci_numerator, child_poverty_method, child_poverty_rate,
          child_poverty_children, child_poverty_denominator, income_numerator, income_rate, employment_rate,
          education_score, health_score, crime_score, barriers_score, living_environment_score,
          imd_score, imd_rank, imd_decile, income_rank, crime_rank, cilif_children""") + _PROXIES,
          (("population", "usual residents, Census 2021"),
           ("children_0_15", "usual residents aged 15 and under, Census 2021"),
           ("under5", "children aged 0-4: ONS mid-2020 estimates of the LSOAs 2011 carried "
                      "to LSOA 2021 (needsmap.areas.lsoa11), whole numbers"),
           ("income_rate", "IoD2025 income deprivation rate, 0-1"),
           ("employment_rate", "IoD2025 employment deprivation rate, 0-1"),
           ("education_score", "IoD2025 education, skills and training score"),
           ("health_score", "IoD2025 health deprivation and disability score"),
           ("crime_score", "IoD2025 crime domain score"),
           ("imd_score", "IoD2025 IMD score")),
          written_by="areas stage"),
    Table("lsoa_ward_weight", "one row per (LSOA, ward) pair with a weight: how LSOA figures "
          "are carried to wards (needsmap.areas.weights)", _cols(
              "lsoa_code, ward_code, w, method"),
          (("method", "what gave the weight: best_fit (w = 1, the ONS lookup) or areal (area "
                      "share among the wards of the LSOA's LAD it overlaps)"),),
          written_by="areas stage"),
    Table("lsoa_ward_share", "lsoa_ward_weight with each LSOA's residents, children and "
          "under-5s given to the ward as whole numbers (largest remainder)",
          _SHARE, _SHARE_MEANINGS,
          kind="view", written_by="areas stage"),
    Table("lsoa11_lsoa21_weight", "one row per (LSOA 2011, LSOA 2021) pair of the ONS lookup: "
          "how a figure published on LSOAs 2011 is carried to 2021 (needsmap.areas.lsoa11)",
          _cols("lsoa11_code, lsoa21_code, change, n_targets, w_population, w_children"),
          (("lsoa11_code", "LSOA 2011 code"), ("lsoa21_code", "LSOA 2021 code"),
           ("change", "ONS change indicator: U unchanged, S split, M merged, X irregular"),
           ("n_targets", "LSOAs 2021 the LSOA 2011 went to"),
           ("w_population", "share of the LSOA 2011 given to this LSOA 2021: its Census 2021 "
                            "residents over those of all the targets; sums to 1 per LSOA 2011"),
           ("w_children", "the same by Census 2021 children aged 15 and under")),
          written_by="areas stage"),
    Table("lsoa_change", "LSOA 2021 x measure: national position in IoD2019 and IoD2025 "
          "(needsmap.areas.change)", _cols(
              "lsoa_code, measure, pct_2019, pct_2025, remap_error, lsoa11_change"),
          (("measure", "imd, income, idaci or crime (needsmap.areas.change.MEASURES)"),
           ("pct_2019", "IoD2019 position (rank - 0.5) / N, 0 = most deprived end of England, "
                        "carried from LSOA 2011 (people-weighted mean of its LSOAs 2011)"),
           ("pct_2025", "IoD2025 position (rank - 0.5) / N (published rank, or the rank of "
                        "the score where the store has none: IDACI)"),
           ("remap_error", "how far pct_2019 would move if the LSOA had differed from the rest "
                           "of its LSOA 2011 in 2019 as it does in 2025 (0 if not split)"),
           ("lsoa11_change", "ONS change indicators of the LSOAs 2011 behind it (U, S, M, X)")),
          written_by="areas stage"),
    Table("ward", "wards in scope, English and Welsh, with their polygon", _cols(
        "ward_code, ward_name, lad_code, lad_name, nation, geom_method, geom, geom_wgs84"),
        written_by="areas stage (English rows), wales stage (Welsh rows)"),
    Table("ward_indicators_england", "every English WD24 ward (no geometry)", _WARD_IND,
          _WARD_MEANINGS, written_by="areas stage"),
    Table("ward_indicators", "wards in scope with geometry: ward_indicators_england joined "
          "to ward", (*_WARD_IND, "geom_method", "geom", "geom_wgs84"), _WARD_MEANINGS,
          kind="view", written_by="areas stage"),
    Table("lad_indicators", "every English LAD", (
        "lad_code", "lad_name", "n_lsoa", *_INDICATORS, *_PROXIES, "n_ward", *_VINTAGES),
        written_by="areas stage"),
    Table("england_indicators", "one row: England", (
        "area_code", "area_name", "n_lsoa", *_INDICATORS, *_PROXIES, *_VINTAGES),
        written_by="areas stage"),
    Table("ward_change", "English ward x measure: national position in IoD2019 and IoD2025 "
          "on May 2024 wards, and whether it moved (needsmap.areas.change)", _cols(
              """ward_code, ward_name, lad_code, lad_name, measure, pct_2019, rank_2019,
              decile_2019, pct_2025, rank_2025, decile_2025, rank_change, decile_change,
              uncertainty, rank_2019_low, rank_2019_high, exceeds_uncertainty, direction,
              share_remapped, n_wards"""),
          (("measure", "imd, income, idaci or crime (needsmap.areas.change.MEASURES)"),
           ("pct_2019", "people-weighted mean IoD2019 position of the ward's LSOAs, 0-1 "
                        "(0 = most deprived end of England; Census 2021 weights)"),
           ("rank_2019", "rank of pct_2019 among English wards (1 = most deprived)"),
           ("decile_2019", "decile of rank_2019 (1 = most deprived tenth of wards)"),
           ("pct_2025", "the same for IoD2025 (same weights)"),
           ("rank_2025", "rank of pct_2025 among English wards (1 = most deprived)"),
           ("decile_2025", "decile of rank_2025 (1 = most deprived tenth of wards)"),
           ("rank_change", "rank_2019 - rank_2025: positive = more deprived relative to "
                           "England than in 2019"),
           ("decile_change", "decile_2019 - decile_2025: positive = more deprived"),
           ("uncertainty", "how far pct_2019 could move from the LSOA 2011 -> 2021 re-mapping "
                           "(people-weighted remap_error of its LSOAs, absolute)"),
           ("rank_2019_low", "rank_2019 at pct_2019 - uncertainty (other wards fixed)"),
           ("rank_2019_high", "rank_2019 at pct_2019 + uncertainty (other wards fixed)"),
           ("exceeds_uncertainty", "rank_2025 outside [rank_2019_low, rank_2019_high]"),
           ("direction", "more_deprived / less_deprived: the 2025 decile is beyond every "
                         "decile of the 2019 rank range; else stayed"),
           ("share_remapped", "share of the ward's people in LSOAs 2021 made from a split or "
                              "irregularly changed LSOA 2011"),
           ("n_wards", "wards ranked")),
          written_by="areas stage"),
    # ---- services stage
    Table("service", "one row per service (an all-through school is one per phase)", _cols(
        """service_id, name, type, source, vintage, lon, lat, easting, northing, lsoa_code,
        ward_code, lad_code, source_ref, source_category, postcode, pupils, geocode,
        locate_method, geom, geom_wgs84"""),
        (("service_id", "<source>:<reference>[:<type>], unique"), ("name", "service name"),
         ("type", "service type (vocabulary key)"), ("source", "catalogue id or user:<label>"),
         ("vintage", "vintage of the list"), ("lon", "longitude, EPSG:4326"),
         ("lat", "latitude, EPSG:4326"), ("easting", "EPSG:27700 x"),
         ("northing", "EPSG:27700 y"), ("source_ref", "the source's own reference (URN, ODS "
                                                      "code...)"),
         ("source_category", "the source's own category"),
         ("postcode", "normalised postcode, where given"),
         ("pupils", "number of pupils (GIAS)"),
         ("geocode", "how the point was obtained (postcode, source coordinates...)"),
         ("locate_method", "how its LSOA was found (needsmap.areas.locate)"),
         ("geom", "point, EPSG:27700"), ("geom_wgs84", "point, EPSG:4326")),
        written_by="services stage"),
    Table("service_coverage", "where a local-only list is meaningful", _cols(
        "service_type, source, lad_code, coverage"),
        (("source", "catalogue id of the list"),
         ("coverage", "national, or local (the LADs holding at least one of its services)")),
        written_by="services stage"),
    Table("postcode", "every Code-Point Open postcode", _cols(
        "postcode, easting, northing, country_code"),
        (("postcode", "normalised postcode (one space before the inward code)"),
         ("easting", "EPSG:27700 x (NULL: no grid reference)"),
         ("northing", "EPSG:27700 y (NULL: no grid reference)"),
         ("country_code", "GSS country code")),
        written_by="services stage"),
    # ---- crime stage
    Table("crime_file", "one row per police.uk file loaded", _cols(
        """file_id, file, police_force, month, header, rows_read, rows_kept, rows_rejected,
        lsoa_agree, lsoa_checked, note"""),
        (("file_id", "key of the file"), ("month", "YYYY-MM of the file"),
         ("note", "the file's load-report note")),
        written_by="crime stage"),
    Table("crime_point", "one row per kept street-level record", _cols(
        """file_id, row, police_force, month, crime_id, crime_type, longitude, latitude, x, y,
        lsoa_code, ward_code, lad_code, file_lsoa_code, lsoa_agrees"""),
        (("file_id", "crime_file key"), ("row", "data row in the file"),
         ("crime_id", "police.uk Crime ID (blank for anti-social behaviour)"),
         ("crime_type", "police.uk crime type"), ("longitude", "as published, EPSG:4326"),
         ("ward_code", "best-fit ward of the record's LSOA (ward counts use lsoa_ward_weight)"),
         ("latitude", "as published, EPSG:4326"), ("x", "EPSG:27700 x"),
         ("y", "EPSG:27700 y"), ("file_lsoa_code", "the file's own LSOA code"),
         ("lsoa_agrees", "file_lsoa_code maps to lsoa_code")),
        written_by="crime stage"),
    Table("crime_snap", "each distinct police.uk snap point and its LSOA", _cols(
        "lon, lat, x, y, lsoa_code"),
        (("lon", "longitude, EPSG:4326"), ("lat", "latitude, EPSG:4326"),
         ("x", "EPSG:27700 x"), ("y", "EPSG:27700 y"),
         ("lsoa_code", "LSOA 2021 of the point (NULL: outside England)")),
        written_by="crime stage"),
    Table("crime_coverage", "one row per file: what coverage the crime figures have", _cols(
        """police_force, month, file, header, rows_read, rows_kept, rows_rejected, lsoa_agree,
        lsoa_checked, lsoa_agreement"""),
        (("lsoa_agreement", "lsoa_agree / lsoa_checked"),), written_by="crime stage"),
    Table("ward_crime_monthly", "ward x month x crime type counts", _cols(
        "ward_code, lad_code, month, crime_type, crimes"),
        (("crime_type", "police.uk crime type"),
         ("crimes", "records, each counted in the wards of its LSOA with the weight w")),
        written_by="crime stage"),
    Table("ward_crime", "one row per English and Welsh ward: recorded crime over 12 months", _cols(
        """ward_code, ward_name, lad_code, lad_name, police_force, window_start, window_end,
        months_in_window, full_coverage, population, crimes_12m, rate_12m_per_1000,
        rate_12m_lower95, rate_12m_upper95, all_crimes_12m, violence_12m, burglary_12m,
        criminal_damage_12m, asb_12m, selected_types"""),
        (("window_start", "first month of the 12-month window"),
         ("window_end", "last month of the window (the force's latest loaded month)"),
         ("months_in_window", "months of the window loaded"),
         ("full_coverage", "all 12 months loaded for the ward's force"),
         ("crimes_12m", "records of the selected types in the window, each counted in the "
                        "wards of its LSOA with the weight w (lsoa_ward_weight)"),
         ("rate_12m_per_1000", "1000 * crimes_12m / population (NULL unless full coverage)"),
         ("rate_12m_lower95", "Byar 95% lower limit of the rate"),
         ("rate_12m_upper95", "Byar 95% upper limit of the rate"),
         ("all_crimes_12m", "records of every type"), ("violence_12m", "violence and sexual "
                                                                      "offences"),
         ("burglary_12m", "burglary"), ("criminal_damage_12m", "criminal damage and arson"),
         ("asb_12m", "anti-social behaviour"), ("selected_types", "types in crimes_12m")),
        written_by="crime stage"),
    # ---- index stage
    Table("ward_ace", "one row per English ward: the modelled ACE risk index", _cols(
        """ward_code, ward_name, lad_code, lad_name, population, children_0_15, method, scope,
        ace_score, ace_rank_england, ace_decile_england, ace_rank_in_lad, ace_quintile_in_lad,
        n_indicators, ns_child_poverty, ns_income, ns_crime, ns_density, ns_health,
        ns_recorded_crime, ns_violence_without_injury, ns_violence_with_injury,
        ns_stalking_harassment, ns_mental_health, ns_public_order_weapons,
        ns_antisocial_behaviour, ns_overcrowding, crime_source,
        abuse_neglect_score, abuse_neglect_rank, abuse_neglect_decile,
        n_abuse_neglect_indicators, household_dysfunction_score, household_dysfunction_rank,
        household_dysfunction_decile, n_household_dysfunction_indicators, context_score,
        context_rank, context_decile, n_context_indicators, n_domains,
        stab_rank_p05, stab_rank_p95, stab_share_same_class,
        stab_dropone_rank_min, stab_dropone_rank_max, stab_dropone_share_same_class,
        stab_dropdomain_rank_min, stab_dropdomain_rank_max, stability_band, unstable"""),
        (("scope", "england (national ranks) or lad (re-ranked within each LAD)"),
         ("ace_rank_in_lad", "rank within the LAD (1 = highest modelled risk)"),
         ("ace_quintile_in_lad", "quintile within the LAD (1 = highest fifth)"),
         ("n_indicators", "indicators with weight and a value for the ward (domains method: "
                          "the proxies of the weighted domains)"),
         ("ns_child_poverty", "normal score of the child poverty indicator"),
         ("ns_income", "normal score of income deprivation"),
         ("ns_crime", "normal score of the IoD crime score"),
         ("ns_density", "normal score of log population density"),
         ("ns_health", "normal score of the IoD health score"),
         ("ns_recorded_crime", "normal score of recorded crime (IoD crime where coverage is "
                               "partial)"),
         ("ns_violence_without_injury", "normal score of violence without injury (police)"),
         ("ns_violence_with_injury", "normal score of violence with injury (police)"),
         ("ns_stalking_harassment", "normal score of stalking and harassment (police)"),
         ("ns_mental_health", "normal score of the IoD mental health indicator"),
         ("ns_public_order_weapons", "normal score of public order and weapons offences"),
         ("ns_antisocial_behaviour", "normal score of anti-social behaviour incidents"),
         ("ns_overcrowding", "normal score of overcrowded households (bedrooms)"),
         ("crime_source", "which crime measure the ward's score used (iod_crime_score, "
                          "police_recorded_12m, or iod2025_file8_rates for domains)"),
         ("abuse_neglect_score", "abuse and neglect domain: mean of its proxies' normal "
                                 "scores (higher = higher modelled risk)"),
         ("abuse_neglect_rank", "rank of the domain score in England (1 = highest; empty "
                                "with scope lad)"),
         ("abuse_neglect_decile", "decile of the domain score in England (1 = highest)"),
         ("n_abuse_neglect_indicators", "proxies behind the domain score"),
         ("household_dysfunction_score", "household dysfunction domain: mean of its proxies' "
                                         "normal scores"),
         ("household_dysfunction_rank", "rank of the domain score in England (1 = highest)"),
         ("household_dysfunction_decile", "decile of the domain score in England "
                                          "(1 = highest)"),
         ("n_household_dysfunction_indicators", "proxies behind the domain score"),
         ("context_score", "wider context domain: mean of its proxies' normal scores"),
         ("context_rank", "rank of the domain score in England (1 = highest)"),
         ("context_decile", "decile of the domain score in England (1 = highest)"),
         ("n_context_indicators", "proxies behind the domain score"),
         ("n_domains", "domains with a score for the ward (3 = complete)"),
         ("stab_rank_p05", "5th percentile of the rank over Dirichlet weight draws"),
         ("stab_rank_p95", "95th percentile of the rank over Dirichlet weight draws"),
         ("stab_share_same_class", "share of draws keeping the ward's class"),
         ("stab_dropone_rank_min", "best rank when one indicator is dropped"),
         ("stab_dropone_rank_max", "worst rank when one indicator is dropped"),
         ("stab_dropone_share_same_class", "share of drop-one runs keeping the class"),
         ("stab_dropdomain_rank_min", "best rank when one domain is dropped (domains method)"),
         ("stab_dropdomain_rank_max", "worst rank when one domain is dropped"),
         ("stability_band", "stable / moderate / unstable"),
         ("unstable", "class kept in under half the draws")),
        written_by="index stage"),
    Table("lad_ace", "one row per English LAD: child-weighted mean of ward scores", _cols(
        """method, lad_code, lad_name, n_wards, population, children_0_15, ace_score,
        ace_rank_england, ace_decile_england, children_share_top_decile,
        abuse_neglect_score, abuse_neglect_rank, household_dysfunction_score,
        household_dysfunction_rank, context_score, context_rank"""),
        (("n_wards", "wards with a score"),
         ("ace_score", "children-weighted mean of the wards' scores"),
         ("ace_rank_england", "rank among LADs (1 = highest modelled risk)"),
         ("ace_decile_england", "decile among LADs (1 = highest tenth)"),
         ("children_share_top_decile", "share of the LAD's children in national decile 1 "
                                       "wards"),
         ("abuse_neglect_score", "children-weighted mean of the wards' domain scores"),
         ("abuse_neglect_rank", "rank among LADs (1 = highest modelled risk)"),
         ("household_dysfunction_score", "children-weighted mean of the wards' domain scores"),
         ("household_dysfunction_rank", "rank among LADs (1 = highest modelled risk)"),
         ("context_score", "children-weighted mean of the wards' domain scores"),
         ("context_rank", "rank among LADs (1 = highest modelled risk)")),
        written_by="index stage"),
    Table("ace_config", "one row per setting of the index as built", ("key", "value"),
          written_by="index stage"),
    # ---- access stage
    Table("lsoa_access", "LSOA x service type x measure: distance to the nearest service",
          _cols("""lsoa_code, service_type, measure, value, unit, distance_km,
          nearest_service_id, origin_method, in_coverage"""),
          (("value", "the measure's value"), ("unit", "its unit"),
           ("distance_km", "straight-line km to the nearest service"),
           ("nearest_service_id", "service.service_id of the nearest"),
           ("origin_method", "the LSOA point used"),
           ("in_coverage", "the type's lists cover the LSOA's LAD")),
          written_by="access stage"),
    Table("ward_access", "ward x service type x measure, children-weighted", _WARD_ACCESS,
          _ward_access_meanings("lsoa_ward_share", "the type's lists cover the ward's LAD"),
          written_by="access stage"),
    Table("ward_access_under5", "ward x service type x measure, weighted by under-5s "
          "(access/early_years.py); service_type 'early_years' is the nearest family "
          "hub, children's centre or nursery", _cols(
        """ward_code, ward_name, lad_code, lad_name, service_type, measure, n_lsoa, under5,
        mean_km_under5_weighted, share_under5_within_1km, share_under5_within_2km, max_km,
        n_services, under5_per_service, services_per_1000_under5, in_coverage"""),
        (("service_type", "service type (vocabulary key), or early_years: the nearest of "
                          "family_hub, childrens_centre and nursery in lists covering the LAD"),
         ("n_lsoa", "number of LSOAs with a weight in the ward"),
         ("under5", "children aged 0-4 given to the ward (lsoa_ward_share)"),
         ("mean_km_under5_weighted", "sum(w * under5 * km) / sum(w * under5)"),
         ("share_under5_within_1km", "share of under-5s within 1 km, 0-1"),
         ("share_under5_within_2km", "share of under-5s within 2 km, 0-1"),
         ("max_km", "largest LSOA distance"),
         ("n_services", "services of the type in the ward's LSOAs, each counted with its "
                        "LSOA's weight w"),
         ("under5_per_service", "sum(w * under5) / n_services (NULL without a service)"),
         ("services_per_1000_under5", "1000 * n_services / sum(w * under5)"),
         ("in_coverage", "the type's lists cover the ward's LAD")),
        written_by="access stage"),
    Table("ward_need", "ward x need measure, tidy", _cols(
        "ward_code, need_measure, need_value, need_decile, need_rank"),
        (("need_measure", "ace, or an indicator column"), ("need_value", "its value"),
         ("need_decile", "decile in England (1 = highest need)"),
         ("need_rank", "rank in England (1 = highest need)")),
        written_by="access stage"),
    Table("ward_gaps", "ward x service type x need measure: the default gap rule", _cols(
        """ward_code, ward_name, lad_code, lad_name, service_type, measure, need_measure,
        need_value, need_decile, need_rank, children_0_15, mean_km_child_weighted,
        share_children_within_1km, share_children_within_2km, n_services,
        services_per_1000_children, access_percentile, la_percentile, far_km,
        children_beyond, high_need, gap_flag, gap_rule, fit_share_of_ward, fit_spill, fit_poor,
        commissioning_rank"""),
        (("need_measure", "ace, or an indicator column"), ("need_value", "its value"),
         ("need_decile", "decile in England (1 = highest need)"),
         ("need_rank", "rank in England (1 = highest need)"),
         ("mean_km_child_weighted", "sum(children * km) / sum(children)"),
         ("share_children_within_1km", "share of children within 1 km, 0-1"),
         ("share_children_within_2km", "share of children within 2 km, 0-1"),
         ("n_services", "services of the type in the ward"),
         ("services_per_1000_children", "1000 * n_services / children_0_15"),
         ("access_percentile", "percentile of the ward's distance among in-coverage wards"),
         ("la_percentile", "percentile of the ward's distance among its LA's wards"),
         ("far_km", "the distance the rule calls far for this ward (km)"),
         ("children_beyond", "children in the ward's LSOAs further than far_km (w-weighted)"),
         ("high_need", "in the top need deciles"), ("gap_flag", "high need and far"),
         ("gap_rule", "the rule (access/gaprules.py): 'local'"),
         ("commissioning_rank", "order among high-need wards (1 = gap, furthest first)")),
        kind="view", written_by="access stage"),
    Table("ward_access_wales", "Welsh ward x service type x measure, children-weighted: the "
          "twin of ward_access (the same query on the Welsh tables; no column ranks wards)",
          _WARD_ACCESS,
          _ward_access_meanings("lsoa_ward_share_wales",
                                "the type's lists cover the ward's LAD (GP practices and "
                                "libraries in Wales; GIAS and DfE types never)"),
          written_by="access stage"),
    Table("ward_need_wales", "Welsh ward x need measure, tidy: the twin of ward_need, ranked "
          "among Welsh wards only", _cols(
        "ward_code, need_measure, need_value, need_decile, need_rank"),
        (("need_measure", "welsh_ace (the Welsh index), a WIMD 2019 score column, or "
                          "cilif_rate"), ("need_value", "its value"),
         ("need_decile", "decile among Welsh wards (1 = highest need)"),
         ("need_rank", "rank among Welsh wards (1 = highest need)")),
        written_by="access stage"),
    # ---- Wales (issue 21): Welsh figures and the Welsh index, never ranked with England
    Table("lookup_lsoa21_wd24_wales", "one row per Welsh LSOA 2021: ONS best-fit lookup",
          _cols("lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name"),
          written_by="pipeline (scope)"),
    Table("lad_name_wales", "one row per Welsh LAD24 with its Welsh-language name",
          _cols("lad_code, lad_name, lad_name_cy"),
          (("lad_name_cy", "the Welsh name where DWP's Stat-Xplore LA export gives one "
                           "(\"Newport / Casnewydd\"); NULL where the name is the same in "
                           "both languages or the file is missing"),),
          written_by="wales stage"),
    Table("lsoa_wales", "every Welsh LSOA 2021 with its polygon (the twin of lsoa)", _cols(
        "lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name, area_km2, "
        "centroid_x, centroid_y, centroid_method, geom"),
        (("centroid_x", "easting of the LSOA's representative point, EPSG:27700"),
         ("centroid_y", "northing of the LSOA's representative point, EPSG:27700"),
         ("centroid_method", "point_on_surface (as lsoa: no population-weighted centroids in "
                             "the mirror)")),
        written_by="wales stage"),
    Table("lsoa_ward_share_wales", "the Welsh rows of lsoa_ward_weight with each Welsh LSOA's "
          "residents, children and under-5s given to the ward as whole numbers (largest "
          "remainder; the twin of lsoa_ward_share)", _SHARE, _SHARE_MEANINGS,
          kind="view", written_by="wales stage"),
    Table("lsoa_indicators_wales", "every Welsh LSOA 2021: the measures Welsh areas are built "
          "from", (*_cols("lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name, "
                          "nation, population, children_0_15, under5, area_km2, density_per_km2, "
                          "cilif_children"), *_WIMD, "n_lsoa11"),
          (*_WIMD_MEANINGS, ("n_lsoa11", "LSOAs 2011 whose WIMD scores were carried to it")),
          written_by="wales stage"),
    Table("ward_indicators_wales", "every Welsh WD24 ward (no geometry)", _WARD_WALES,
          (*_WARD_MEANINGS, *_WIMD_MEANINGS), written_by="wales stage"),
    Table("ward_indicators_wales_geo", "Welsh wards in scope with geometry: "
          "ward_indicators_wales joined to ward", (*_WARD_WALES, "geom_method", "geom",
                                                   "geom_wgs84"),
          (*_WARD_MEANINGS, *_WIMD_MEANINGS), kind="view", written_by="wales stage"),
    Table("lad_indicators_wales", "every Welsh LAD", (
        "lad_code", "lad_name", "nation", "n_lsoa", *_WALES_IND, "n_ward"), _WIMD_MEANINGS,
        written_by="wales stage"),
    Table("wales_indicators", "one row: Wales (the Welsh comparator, beside england_indicators)",
          ("area_code", "area_name", "n_lsoa", *_WALES_IND), _WIMD_MEANINGS,
          written_by="wales stage"),
    Table("ward_ace_wales", "one row per Welsh ward: the Welsh modelled ACE risk index, ranked "
          "among Welsh wards only", _cols(
        """ward_code, ward_name, lad_code, lad_name, nation, population, children_0_15, method,
        welsh_ace_score, welsh_ace_rank, welsh_ace_decile, welsh_ace_rank_in_lad,
        welsh_ace_quintile_in_lad, ns_community_safety, ns_health, ns_housing,
        ns_child_poverty, ns_density, abuse_neglect_score, abuse_neglect_rank,
        abuse_neglect_decile, n_abuse_neglect_indicators, household_dysfunction_score,
        household_dysfunction_rank, household_dysfunction_decile,
        n_household_dysfunction_indicators, context_score, context_rank, context_decile,
        n_context_indicators, n_domains"""),
        (("method", "wales_domains (docs/method.md, Wales)"),
         ("welsh_ace_score", "mean of the domain rank quantiles among Welsh wards, 0-1 "
                             "(higher = higher modelled risk)"),
         ("welsh_ace_rank", "rank among Welsh wards (1 = highest modelled risk)"),
         ("welsh_ace_decile", "decile among Welsh wards (1 = highest tenth)"),
         ("welsh_ace_rank_in_lad", "rank within the Welsh LAD"),
         ("welsh_ace_quintile_in_lad", "quintile within the Welsh LAD (1 = highest fifth)"),
         ("ns_community_safety", "normal score of the WIMD community safety score (Wales)"),
         ("ns_health", "normal score of the WIMD health score (Wales)"),
         ("ns_housing", "normal score of the WIMD housing score (Wales)"),
         ("ns_child_poverty", "normal score of the CiLIF rate (Wales)"),
         ("ns_density", "normal score of log population density (Wales)"),
         ("abuse_neglect_score", "abuse and neglect domain score (Welsh wards)"),
         ("abuse_neglect_rank", "rank among Welsh wards (1 = highest)"),
         ("abuse_neglect_decile", "decile among Welsh wards (1 = highest)"),
         ("n_abuse_neglect_indicators", "proxies behind the domain score"),
         ("household_dysfunction_score", "household dysfunction domain score (Welsh wards)"),
         ("household_dysfunction_rank", "rank among Welsh wards (1 = highest)"),
         ("household_dysfunction_decile", "decile among Welsh wards (1 = highest)"),
         ("n_household_dysfunction_indicators", "proxies behind the domain score"),
         ("context_score", "wider context domain score (Welsh wards)"),
         ("context_rank", "rank among Welsh wards (1 = highest)"),
         ("context_decile", "decile among Welsh wards (1 = highest)"),
         ("n_context_indicators", "proxies behind the domain score"),
         ("n_domains", "domains the ward has (3 = all)")),
        written_by="wales_index stage"),
    Table("lad_ace_wales", "one row per Welsh LAD: child-weighted mean of its wards' Welsh "
          "index", _cols("lad_code, lad_name, nation, children_0_15, welsh_ace_score, n_ward, "
                         "welsh_ace_rank"),
          (("welsh_ace_score", "children-weighted mean of the wards' welsh_ace_score"),
           ("n_ward", "Welsh wards in the LAD"),
           ("welsh_ace_rank", "rank among the Welsh LADs (1 = highest modelled risk)")),
          written_by="wales_index stage"),
)}


class SchemaError(LookupError):
    """A table or column the store contract names is missing from a store."""


def table(name: str) -> Table:
    """The contract of table ``name``; unknown names are rejected with the valid list."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown store table {name!r}; tables: {', '.join(TABLES)}") from None


def columns(name: str, *, geometry: bool = True) -> tuple[str, ...]:
    """The columns of table ``name`` in order (without ``geom*`` if ``geometry`` is false)."""
    cols = table(name).columns
    return cols if geometry else tuple(c for c in cols if not c.startswith("geom"))


def store_columns(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """The store's own tables and views (schema ``main``) with their columns, in order."""
    rows = run_sql(con, "store_columns").fetchall()
    return {t: tuple(c) for t, c in rows}


def check_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Compare a store with :data:`TABLES`; return one line per difference (``[]``: matches)."""
    found = store_columns(con)
    problems = []
    for name, t in TABLES.items():
        if name not in found:
            problems.append(f"{name}: missing table")
            continue
        got = found[name]
        missing = [c for c in t.columns if c not in got]
        extra = [c for c in got if c not in t.columns]
        if missing:
            problems.append(f"{name}: missing columns {missing}")
        if extra:
            problems.append(f"{name}: columns not in the contract {extra}")
        if not missing and not extra and got != t.columns:
            problems.append(f"{name}: columns in another order {list(got)}")
    for name in found:
        if name not in TABLES:
            problems.append(f"{name}: a table not in the contract")
    return problems


def require(con: duckdb.DuckDBPyConnection, name: str, *cols: str) -> None:
    """Raise :class:`SchemaError` unless the store has table ``name`` with ``cols``.

    The message says what is missing and how to get it (rebuild the store).
    """
    require_tables(con, {name: cols})


def require_tables(con: duckdb.DuckDBPyConnection,
                   tables: dict[str, tuple[str, ...]] | tuple[str, ...]) -> None:
    """Raise :class:`SchemaError` unless the store has every table (and the columns given).

    ``tables`` maps names to the columns needed, or is a tuple of names (every column
    of the contract is then needed). One look at the catalogue for all of them.
    """
    want = tables if isinstance(tables, dict) else {t: columns(t) for t in tables}
    found = store_columns(con)
    for name, cols in want.items():
        if name not in found:
            raise SchemaError(f"the store has no table {name!r}; it is not a complete needsmap "
                              "store: rebuild it with `needsmap build`")
        missing = [c for c in cols if c not in found[name]]
        if missing:
            raise SchemaError(f"the store's table {name!r} lacks columns {missing}; rebuild it "
                              "with `needsmap build`")
