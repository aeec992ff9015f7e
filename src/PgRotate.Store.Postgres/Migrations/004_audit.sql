-- pgrotate store on PostgreSQL: the audit log (run with search_path set to the store's schema). Append-only: each
-- entry's hash is an HMAC-SHA256 (key derived from the master key) over the hash of the entry before it and the entry
-- itself (see Audit/AuditChain.cs); the head in meta records the last entry, and an append locks that row (SELECT …
-- FOR UPDATE) and moves it in the same transaction, so appends from several machines queue and the chain never forks.
-- The trigger refuses changes made by mistake; someone who disables it still cannot forge the hashes, which
-- 'pgrotate audit verify' checks.
CREATE TABLE audit (
    sequence      bigint PRIMARY KEY,
    at            timestamptz NOT NULL,  -- to the millisecond
    action        text NOT NULL,
    actor         text,
    secret        text,
    version       integer,
    address       text,
    detail        text,                  -- never a secret value
    previous_hash text NOT NULL,
    hash          text NOT NULL
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

INSERT INTO meta(key, value) VALUES ('audit_head', '0:');
