-- Append a load report (registered frames _lr: one row per file, _rr: one row per rejected
-- input row) to the store's load_report and rejected_rows tables.
CREATE TABLE IF NOT EXISTS load_report (source_id VARCHAR, file VARCHAR, rows_read BIGINT,
    rows_kept BIGINT, rows_rejected BIGINT, note VARCHAR);

CREATE TABLE IF NOT EXISTS rejected_rows (source_id VARCHAR, file VARCHAR, "row" BIGINT,
    "column" VARCHAR, reason VARCHAR, raw VARCHAR);

INSERT INTO load_report SELECT source_id, file, rows_read, rows_kept, rows_rejected, note FROM _lr;

INSERT INTO rejected_rows SELECT source_id, file, "row", "column", reason, raw FROM _rr;
