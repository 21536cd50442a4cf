-- Write the tables made so far to disk (the areas stage calls it while it waits for its worker).
CHECKPOINT;
