-- meta (key/value facts about the build) and source (every file the build used).
CREATE OR REPLACE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE OR REPLACE TABLE source (source_id VARCHAR, publisher VARCHAR, title VARCHAR, url VARCHAR,
    licence VARCHAR, vintage VARCHAR, form VARCHAR, path VARCHAR, origin VARCHAR, sha256 VARCHAR);
