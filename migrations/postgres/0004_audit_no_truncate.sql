-- TRUNCATE fires no row trigger, so `audit_events_append_only` (0001) never saw it and one
-- statement could empty the trail. This statement trigger refuses it with the same message.
-- SQLite has no TRUNCATE: its `DELETE FROM audit_events` (even without WHERE) runs the
-- `audit_events_no_delete` trigger, so the SQLite schema needs no counterpart.
-- Tests that simulate tampering bypass it like the others
-- (`ALTER TABLE audit_events DISABLE TRIGGER ALL`).
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
