-- pgrotate store, schema 1.
-- Every secret value (passwords) is an AES-256-GCM envelope (see Crypto/Envelope.cs) bound to its row.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE targets (
    name              TEXT PRIMARY KEY,
    connection_string TEXT NOT NULL,   -- without the password
    username          TEXT NOT NULL,
    password          BLOB NOT NULL,   -- envelope, associated data "target:<name>:password"
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE TABLE secrets (
    name         TEXT PRIMARY KEY,
    target       TEXT NOT NULL REFERENCES targets(name),
    strategy     TEXT NOT NULL CHECK (strategy IN ('alternating', 'single')),
    group_role   TEXT NOT NULL,
    login_a      TEXT NOT NULL,
    login_b      TEXT,
    schedule     TEXT,                 -- "every 30d" or a cron expression; NULL: rotated only on demand
    grace_ms     INTEGER,              -- NULL: until the next scheduled rotation
    check_sql    TEXT,
    adoption     TEXT NOT NULL DEFAULT 'none' CHECK (adoption IN ('none', 'adopting', 'adopted')),
    created_at   TEXT NOT NULL,
    next_rotation_at TEXT
) STRICT;

CREATE TABLE versions (
    secret       TEXT NOT NULL REFERENCES secrets(name) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    username     TEXT NOT NULL,
    password     BLOB NOT NULL,        -- envelope, associated data "secret:<name>:version:<n>:<username>"
    stage        TEXT NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'retired', 'failed')),
    created_at   TEXT NOT NULL,
    activated_at TEXT,
    valid_until  TEXT,
    PRIMARY KEY (secret, version)
) STRICT;

CREATE UNIQUE INDEX versions_one_current ON versions(secret) WHERE stage = 'current';
CREATE UNIQUE INDEX versions_one_pending ON versions(secret) WHERE stage = 'pending';
CREATE UNIQUE INDEX versions_one_previous ON versions(secret) WHERE stage = 'previous';

CREATE TABLE history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    secret      TEXT NOT NULL,
    version     INTEGER,
    event       TEXT NOT NULL,
    detail      TEXT,
    at          TEXT NOT NULL
) STRICT;

CREATE INDEX history_by_secret ON history(secret, id);
