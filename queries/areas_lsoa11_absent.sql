-- Empty LSOA 2011 inputs (the ONS LSOA11->LSOA21 lookup, mid-2020 populations, IoD2019
-- ranks), made before the loaders run: a loader whose file is found replaces its table; one
-- whose file is missing leaves it empty, and what depends on it is NULL (under5, cilif_*,
-- the 2019 side of ward_change).
CREATE OR REPLACE TEMP TABLE lsoa11_lsoa21 (lsoa11_code VARCHAR, lsoa21_code VARCHAR, change VARCHAR);
CREATE OR REPLACE TEMP TABLE sape20 (lsoa11_code VARCHAR, all_ages DOUBLE, children_0_15 DOUBLE, under5 BIGINT);
CREATE OR REPLACE TEMP TABLE iod2019_ranks_f2 (lsoa11_code VARCHAR, measure VARCHAR, rank INTEGER);
CREATE OR REPLACE TEMP TABLE iod2019_ranks_f3 (lsoa11_code VARCHAR, measure VARCHAR, rank INTEGER);
