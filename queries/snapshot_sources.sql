-- Every source file of the store, for the snapshot's sources line.
SELECT publisher, title, licence, vintage FROM source;
