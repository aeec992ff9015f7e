-- pgrotate store, schema 6: a target's admin password is versioned in the versions table beside secrets' credentials,
-- told apart by the owner column ('secret' or 'target'; the name column holds the secret's or the target's name), so
-- target rotate-admin uses the same pending/current/retired stages, promotion and history as a rotation. The foreign
-- key to secrets goes (a target's rows have no secret row; the store deletes a secret's versions with it), which in
-- SQLite means rebuilding the table. History entries get the same owner column.
-- targets.pending_password is no longer written: a migration has no master key to re-seal it, so the first open with
-- the key moves a pending admin password left there into the versions table (SqliteSecretStore.AdminVersions.cs).
CREATE TABLE versions_by_owner (
    owner         TEXT NOT NULL DEFAULT 'secret' CHECK (owner IN ('secret', 'target')),
    secret        TEXT NOT NULL,       -- the owner's name: a secret's, or a target's
    version       INTEGER NOT NULL,
    username      TEXT NOT NULL,
    password      BLOB NOT NULL,       -- envelope, associated data "secret:<name>:version:<n>:<username>", or "target:…" for a target
    stage         TEXT NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'retired', 'failed')),
    created_at    TEXT NOT NULL,
    activated_at  TEXT,
    valid_until   TEXT,
    grace_applied INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (owner, secret, version)
) STRICT;

INSERT INTO versions_by_owner(owner, secret, version, username, password, stage, created_at, activated_at, valid_until, grace_applied)
    SELECT 'secret', secret, version, username, password, stage, created_at, activated_at, valid_until, grace_applied FROM versions;
DROP TABLE versions;
ALTER TABLE versions_by_owner RENAME TO versions;

CREATE UNIQUE INDEX versions_one_current ON versions(owner, secret) WHERE stage = 'current';
CREATE UNIQUE INDEX versions_one_pending ON versions(owner, secret) WHERE stage = 'pending';
CREATE UNIQUE INDEX versions_one_previous ON versions(owner, secret) WHERE stage = 'previous';

ALTER TABLE history ADD COLUMN owner TEXT NOT NULL DEFAULT 'secret' CHECK (owner IN ('secret', 'target'));
DROP INDEX history_by_secret;
CREATE INDEX history_by_owner ON history(owner, secret, id);
