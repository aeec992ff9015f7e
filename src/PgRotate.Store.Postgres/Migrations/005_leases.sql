-- pgrotate store on PostgreSQL, schema 5: dynamic secrets and their leases (see Leases/ILeaseStore.cs); the tables
-- mirror the SQLite store's.
-- IF EXISTS / IF NOT EXISTS throughout: a store rewound to an older schema version by hand may still have them.
ALTER TABLE secrets DROP CONSTRAINT IF EXISTS secrets_strategy_check;
ALTER TABLE secrets ADD CONSTRAINT secrets_strategy_check CHECK (strategy IN ('alternating', 'single', 'dynamic'));

-- A dynamic secret's lease limits and role name template; mac covers all of them (StoredValues.LeaseSettingsMac).
CREATE TABLE IF NOT EXISTS lease_settings (
    secret         text PRIMARY KEY REFERENCES secrets(name) ON DELETE CASCADE,
    default_ttl_ms bigint NOT NULL,
    max_ttl_ms     bigint NOT NULL,
    name_template  text NOT NULL,
    mac            bytea NOT NULL
);

-- One row per lease, written after its role exists on the target. password is an envelope with associated data
-- "lease:<id>:<secret>:<role>"; mac covers id, secret, role and issued_by (StoredValues.LeaseMac). state: active,
-- revoking (ended, role not dropped yet: retried at next_attempt_at), revoked (role gone).
CREATE TABLE IF NOT EXISTS leases (
    id              text PRIMARY KEY,
    secret          text NOT NULL,
    role            text NOT NULL UNIQUE,
    password        bytea NOT NULL,
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    max_expires_at  timestamptz NOT NULL,
    issued_by       text,
    state           text NOT NULL CHECK (state IN ('active', 'revoking', 'revoked')),
    revoke_reason   text,
    revoke_attempts integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz,
    revoked_at      timestamptz,
    mac             bytea NOT NULL
);

CREATE INDEX IF NOT EXISTS leases_active_by_expiry ON leases(expires_at) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS leases_revoking_by_attempt ON leases(next_attempt_at) WHERE state = 'revoking';
CREATE INDEX IF NOT EXISTS leases_by_secret ON leases(secret, issued_at);
CREATE INDEX IF NOT EXISTS leases_by_issuer ON leases(issued_by) WHERE state <> 'revoked';
