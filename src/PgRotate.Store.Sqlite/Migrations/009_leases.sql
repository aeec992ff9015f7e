-- pgrotate store, schema 9: dynamic secrets and their leases (see Leases/ILeaseStore.cs).
-- The secrets table's strategy check gains 'dynamic'. SQLite cannot change a CHECK in place, so the table is rebuilt;
-- no table references secrets any more (versions lost its foreign key in schema 6), so dropping the old one deletes
-- nothing else.
CREATE TABLE secrets_with_dynamic (
    name         TEXT PRIMARY KEY,
    target       TEXT NOT NULL REFERENCES targets(name),
    strategy     TEXT NOT NULL CHECK (strategy IN ('alternating', 'single', 'dynamic')),
    group_role   TEXT NOT NULL,
    login_a      TEXT NOT NULL,
    login_b      TEXT,
    schedule     TEXT,
    grace_ms     INTEGER,
    check_sql    TEXT,
    adoption     TEXT NOT NULL DEFAULT 'none' CHECK (adoption IN ('none', 'adopting', 'adopted')),
    created_at   TEXT NOT NULL,
    next_rotation_at TEXT,
    mac          BLOB
) STRICT;

INSERT INTO secrets_with_dynamic(name, target, strategy, group_role, login_a, login_b, schedule, grace_ms, check_sql, adoption, created_at, next_rotation_at, mac)
    SELECT name, target, strategy, group_role, login_a, login_b, schedule, grace_ms, check_sql, adoption, created_at, next_rotation_at, mac FROM secrets;
DROP TABLE secrets;
ALTER TABLE secrets_with_dynamic RENAME TO secrets;

-- A dynamic secret's lease limits and role name template; mac covers all of them (StoredValues.LeaseSettingsMac).
-- No foreign key to secrets, so that a later rebuild of secrets (like the one above) cannot delete these rows with
-- it; a row left by a removed secret is replaced when a secret of that name is added again.
-- IF NOT EXISTS here and below: a store rewound to an older schema version by hand may still have the tables.
CREATE TABLE IF NOT EXISTS lease_settings (
    secret         TEXT PRIMARY KEY,
    default_ttl_ms INTEGER NOT NULL,
    max_ttl_ms     INTEGER NOT NULL,
    name_template  TEXT NOT NULL,
    mac            BLOB NOT NULL
) STRICT;

-- One row per lease, written after its role exists on the target. password is an envelope with associated data
-- "lease:<id>:<secret>:<role>"; mac covers id, secret, role and issued_by (StoredValues.LeaseMac). Times are ISO 8601
-- UTC. state: active (role works until expires_at), revoking (ended, role not dropped yet: retried at
-- next_attempt_at), revoked (role gone). No foreign key to secrets: a lease outlives nothing, but its row must not
-- vanish before its role does.
CREATE TABLE IF NOT EXISTS leases (
    id              TEXT PRIMARY KEY,
    secret          TEXT NOT NULL,
    role            TEXT NOT NULL UNIQUE,
    password        BLOB NOT NULL,
    issued_at       TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    max_expires_at  TEXT NOT NULL,
    issued_by       TEXT,
    state           TEXT NOT NULL CHECK (state IN ('active', 'revoking', 'revoked')),
    revoke_reason   TEXT,
    revoke_attempts INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT,
    revoked_at      TEXT,
    mac             BLOB NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS leases_active_by_expiry ON leases(expires_at) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS leases_revoking_by_attempt ON leases(next_attempt_at) WHERE state = 'revoking';
CREATE INDEX IF NOT EXISTS leases_by_secret ON leases(secret, issued_at);
CREATE INDEX IF NOT EXISTS leases_by_issuer ON leases(issued_by) WHERE state <> 'revoked';
