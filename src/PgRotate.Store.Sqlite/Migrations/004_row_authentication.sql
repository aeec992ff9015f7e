-- pgrotate store, schema 4: an HMAC-SHA256 per target and secret row over the fields that decide where a password is
-- sent and which role is altered (see Crypto/RowAuthenticator.cs). A migration has no master key, so the column starts
-- empty; the first open with the right key fills it for the rows that existed before (SqliteStore.Authentication.cs).
ALTER TABLE targets ADD COLUMN mac BLOB;
ALTER TABLE secrets ADD COLUMN mac BLOB;
