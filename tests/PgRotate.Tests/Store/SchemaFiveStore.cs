using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store;

/// <summary>
/// Turns the sandbox's SQLite store back into schema 5, the last one before a target's admin password was versioned:
/// the versions table keyed by secret alone (with its foreign key to secrets), history without an owner, and
/// <c>targets.pending_password</c> as where an interrupted <c>target rotate-admin</c> left its password.
/// </summary>
public static class SchemaFiveStore
{
    public static Task DowngradeAsync(CliSandbox sandbox) => sandbox.ExecuteAsync(
        """
        CREATE TABLE versions_schema5 (
            secret        TEXT NOT NULL REFERENCES secrets(name) ON DELETE CASCADE,
            version       INTEGER NOT NULL,
            username      TEXT NOT NULL,
            password      BLOB NOT NULL,
            stage         TEXT NOT NULL CHECK (stage IN ('pending', 'current', 'previous', 'retired', 'failed')),
            created_at    TEXT NOT NULL,
            activated_at  TEXT,
            valid_until   TEXT,
            grace_applied INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (secret, version)
        ) STRICT;
        INSERT INTO versions_schema5 SELECT secret, version, username, password, stage, created_at, activated_at, valid_until, grace_applied FROM versions WHERE owner = 'secret';
        DROP TABLE versions;
        ALTER TABLE versions_schema5 RENAME TO versions;
        CREATE UNIQUE INDEX versions_one_current ON versions(secret) WHERE stage = 'current';
        CREATE UNIQUE INDEX versions_one_pending ON versions(secret) WHERE stage = 'pending';
        CREATE UNIQUE INDEX versions_one_previous ON versions(secret) WHERE stage = 'previous';
        DELETE FROM history WHERE owner <> 'secret';
        DROP INDEX history_by_owner;
        ALTER TABLE history DROP COLUMN owner;
        CREATE INDEX history_by_secret ON history(secret, id);
        PRAGMA user_version = 5;
        """);
}
