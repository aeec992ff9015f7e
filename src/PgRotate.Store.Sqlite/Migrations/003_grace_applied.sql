-- pgrotate store, schema 3: whether a previous version's grace end has reached the server (VALID UNTIL), so a run
-- that died between promoting and expiring can be repaired by the next scheduled run.
ALTER TABLE versions ADD COLUMN grace_applied INTEGER NOT NULL DEFAULT 1;
