-- pgrotate store on PostgreSQL: API tokens for 'pgrotate serve'. Only the SHA-256 of a token is kept; hint (the
-- hash's first 8 bytes in hex) is what a presented token is looked up by. policies is space-separated
-- capability:pattern; mac is the row's HMAC-SHA256 (see Store/StoredValues.cs, TokenMac).
CREATE TABLE tokens (
    name       text PRIMARY KEY,
    hash       bytea NOT NULL,
    hint       text NOT NULL,
    policies   text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    created_by text,
    mac        bytea NOT NULL
);

CREATE INDEX tokens_by_hint ON tokens(hint);
