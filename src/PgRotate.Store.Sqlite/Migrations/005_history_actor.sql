-- pgrotate store, schema 5: who caused each history entry (e.g. cli:alice for the command line run by OS user alice);
-- empty for entries written before it was recorded.
ALTER TABLE history ADD COLUMN actor TEXT;
