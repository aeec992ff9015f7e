-- pgrotate store on PostgreSQL, schema 1. Run with search_path set to the store's own schema, inside the migration
-- transaction. Every secret value (passwords) is an AES-256-GCM envelope (see Crypto/Envelope.cs) bound to its row;
-- target and secret rows carry an HMAC-SHA256 over the fields that decide where a password is sent and which role is
-- altered (see Crypto/RowAuthenticator.cs). The tables mirror the SQLite store's, with PostgreSQL's own types.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE targets (
    name              text PRIMARY KEY,
    connection_string text NOT NULL,   -- without the password
    username          text NOT NULL,
    password          bytea NOT NULL,  -- envelope, associated data "target:<name>:password"
    pending_password  bytea,           -- envelope, associated data "target:<name>:pending-password"
    mac               bytea NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE secrets (
    name             text PRIMARY KEY,
    target           text NOT NULL REFERENCES targets(name),
    strategy         text NOT NULL CHECK (strategy IN ('alternating', 'single')),
    group_role       text NOT NULL,
    login_a          text NOT NULL,
    login_b          text,
    schedule         text,             -- "every 30d" or a cron expression; NULL: rotated only on demand
    grace_ms         bigint,           -- NULL: until the next scheduled rotation
    check_sql        text,
    adoption         text NOT NULL DEFAULT 'none' CHECK (adoption IN ('none', 'adopting', 'adopted')),
    created_at       timestamptz NOT NULL,
    next_rotation_at timestamptz,
    mac              bytea NOT NULL
);

CREATE TABLE versions (
    secret        text NOT NULL REFERENCES secrets(name) ON DELETE CASCADE,
    version       integer NOT NULL,
    username      text NOT NULL,
    password      bytea NOT NULL,      -- envelope, associated data "secret:<name>:version:<n>:<username>"
    stage         text NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'retired', 'failed')),
    created_at    timestamptz NOT NULL,
    activated_at  timestamptz,
    valid_until   timestamptz,
    grace_applied boolean NOT NULL DEFAULT true,
    PRIMARY KEY (secret, version)
);

CREATE UNIQUE INDEX versions_one_current ON versions(secret) WHERE stage = 'current';
CREATE UNIQUE INDEX versions_one_pending ON versions(secret) WHERE stage = 'pending';
CREATE UNIQUE INDEX versions_one_previous ON versions(secret) WHERE stage = 'previous';

CREATE TABLE history (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret  text NOT NULL,
    version integer,
    event   text NOT NULL,
    detail  text,
    at      timestamptz NOT NULL,
    actor   text            -- who acted, e.g. cli:alice; null when unknown
);

CREATE INDEX history_by_secret ON history(secret, id);
