-- Whether a table or view $name exists (in any schema, temporary ones included).
SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = $name)
     + (SELECT count(*) FROM duckdb_views() WHERE view_name = $name AND NOT internal);
