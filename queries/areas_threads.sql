-- DuckDB's thread count for the areas stage: read the current setting, then set $threads
-- (one fewer than cores while the geometry worker runs; the previous value afterwards).
-- Returns the setting in force before.
CREATE OR REPLACE TEMP TABLE _areas_threads_before AS SELECT current_setting('threads')::INTEGER AS n;
SET threads = $threads;
SELECT n FROM _areas_threads_before;
