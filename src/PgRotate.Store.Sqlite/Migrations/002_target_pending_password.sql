-- pgrotate store, schema 2: the admin credential's own rotation stores the new password before changing it.
ALTER TABLE targets ADD COLUMN pending_password BLOB;   -- envelope, associated data "target:<name>:pending-password"
