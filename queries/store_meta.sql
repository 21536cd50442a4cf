-- meta (key/value facts about the build) and source (every file the build used).
CREATE OR REPLACE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- One row per file read. A mirror copy is checked by the catalogue's SHA-256; a publisher's
-- file by its layout (`checked` says which), and its own SHA-256 is recorded in `sha256`.
CREATE OR REPLACE TABLE source (source_id VARCHAR, publisher VARCHAR, title VARCHAR, url VARCHAR,
    licence VARCHAR, vintage VARCHAR, form VARCHAR, path VARCHAR, origin VARCHAR, sha256 VARCHAR,
    download VARCHAR, layout VARCHAR, checked VARCHAR);
