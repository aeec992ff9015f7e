-- pgrotate store: API tokens for 'pgrotate serve'. Only the SHA-256 of a token is kept; hint (the hash's first 8
-- bytes in hex) is what a presented token is looked up by. policies is space-separated capability:pattern; times are
-- ISO 8601 UTC; mac is the row's HMAC-SHA256 (see Store/StoredValues.cs, TokenMac). IF NOT EXISTS: a store
-- rewound to an older schema version by hand may still have the table.
CREATE TABLE IF NOT EXISTS tokens (
    name       TEXT PRIMARY KEY,
    hash       BLOB NOT NULL,
    hint       TEXT NOT NULL,
    policies   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    created_by TEXT,
    mac        BLOB NOT NULL
);

CREATE INDEX IF NOT EXISTS tokens_by_hint ON tokens(hint);
