-- pgrotate store: the audit log. Append-only: each entry's hash is an HMAC-SHA256 (key derived from the master key)
-- over the hash of the entry before it and the entry itself (see Audit/AuditChain.cs); the head in meta records the
-- last entry, and appends move it in the same write transaction. The triggers refuse changes made through SQLite by
-- mistake; someone who drops them still cannot forge the hashes, which 'pgrotate audit verify' checks. IF NOT EXISTS:
-- a store whose schema version was set back (by hand, or by a test making an old store) keeps its log.
CREATE TABLE IF NOT EXISTS audit (
    sequence      INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,        -- UTC, ISO 8601 to the millisecond
    action        TEXT NOT NULL,
    actor         TEXT,
    secret        TEXT,
    version       INTEGER,
    address       TEXT,
    detail        TEXT,                 -- never a secret value
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

INSERT OR IGNORE INTO meta(key, value) VALUES ('audit_head', '0:');
