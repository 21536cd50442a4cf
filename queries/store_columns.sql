-- Every table and view of the store (schema main) with its columns in order.
SELECT table_name, list(column_name ORDER BY ordinal_position) AS columns
FROM information_schema.columns
WHERE table_schema = 'main' AND table_catalog = current_database()
GROUP BY table_name
ORDER BY table_name;
