-- The store's meta facts (key, value).
SELECT key, value FROM meta;
