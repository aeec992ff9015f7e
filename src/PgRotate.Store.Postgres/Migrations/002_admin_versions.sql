-- pgrotate store on PostgreSQL, schema 2: a target's admin password is versioned in the versions table beside secrets'
-- credentials, told apart by the owner column ('secret' or 'target'; the name column holds the secret's or the
-- target's name), so target rotate-admin uses the same stages, promotion and history as a rotation. The foreign key to
-- secrets goes (a target's rows have no secret row; the store deletes a secret's versions with it). History entries
-- get the same owner column. targets.pending_password is no longer written: a migration has no master key to re-seal
-- it, so the open that applies this migration moves a pending admin password left there into the versions table, in
-- the same transaction (PostgresSecretStore.AdminVersions.cs).
ALTER TABLE versions ADD COLUMN owner text NOT NULL DEFAULT 'secret' CHECK (owner IN ('secret', 'target'));
ALTER TABLE versions DROP CONSTRAINT versions_secret_fkey;
ALTER TABLE versions DROP CONSTRAINT versions_pkey;
ALTER TABLE versions ADD PRIMARY KEY (owner, secret, version);
DROP INDEX versions_one_current;
DROP INDEX versions_one_pending;
DROP INDEX versions_one_previous;
CREATE UNIQUE INDEX versions_one_current ON versions(owner, secret) WHERE stage = 'current';
CREATE UNIQUE INDEX versions_one_pending ON versions(owner, secret) WHERE stage = 'pending';
CREATE UNIQUE INDEX versions_one_previous ON versions(owner, secret) WHERE stage = 'previous';

ALTER TABLE history ADD COLUMN owner text NOT NULL DEFAULT 'secret' CHECK (owner IN ('secret', 'target'));
DROP INDEX history_by_secret;
CREATE INDEX history_by_owner ON history(owner, secret, id);
