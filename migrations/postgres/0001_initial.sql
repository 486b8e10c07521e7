-- pimbot schema, PostgreSQL. The SQLite schema in ../sqlite/ has the same tables and columns.
--
-- Naming: tables are plural nouns (requests, approvals, audit_events, jobs, chat_messages,
-- identities, deliveries); audit_head is singular because it holds exactly one row.
-- Timestamps are TIMESTAMPTZ, written and compared as UTC values bound from Rust (never now()).

-- One row per elevation request. `id` is the number people see (PIM-<id>). `data` holds the whole
-- Request as JSON; `version`, `state` and `id` are authoritative in their columns.
CREATE TABLE requests (
    id                 BIGSERIAL PRIMARY KEY,
    version            BIGINT      NOT NULL,
    state              TEXT        NOT NULL,
    platform           TEXT        NOT NULL,
    requester_entra_id TEXT        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    data               TEXT        NOT NULL
);
CREATE INDEX requests_requester_idx ON requests (requester_entra_id);
CREATE INDEX requests_state_idx ON requests (state);

-- Approvers' decisions: one per request and approver (a second one loses its transition).
CREATE TABLE approvals (
    request_id        BIGINT      NOT NULL REFERENCES requests (id),
    approver_entra_id TEXT        NOT NULL,
    approve           BOOLEAN     NOT NULL,
    reason            TEXT,
    decided_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (request_id, approver_entra_id)
);

-- The audit trail. APPEND-ONLY: rows are never updated or deleted. Each row keeps the exact
-- canonical JSON text that was hashed (TEXT, never jsonb, so it stays byte-for-byte identical)
-- and hash = sha256(prev_hash || canonical).
CREATE TABLE audit_events (
    seq        BIGINT      PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    kind       TEXT        NOT NULL,
    request_id BIGINT,
    canonical  TEXT        NOT NULL,
    prev_hash  TEXT        NOT NULL,
    hash       TEXT        NOT NULL
);

-- The end of the chain. Every append starts with
-- `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`, whose row lock
-- serialises appends across all replicas.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Trigger `audit_events_append_only` refuses UPDATE and DELETE of audit_events.
-- Tests that simulate tampering bypass it with `ALTER TABLE audit_events DISABLE TRIGGER ALL`
-- (or `DROP TRIGGER audit_events_append_only ON audit_events`).
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- The outbox: side effects run at least once by the worker. `payload` is the Job as JSON.
CREATE TABLE jobs (
    id           BIGSERIAL   PRIMARY KEY,
    kind         TEXT        NOT NULL,
    payload      TEXT        NOT NULL,
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    locked_by    TEXT,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    request_id   BIGINT
);
CREATE INDEX jobs_run_at_idx ON jobs (run_at);

-- The approval message of a request on each platform.
CREATE TABLE chat_messages (
    request_id   BIGINT NOT NULL,
    platform     TEXT   NOT NULL,
    conversation TEXT   NOT NULL,
    message_id   TEXT   NOT NULL,
    PRIMARY KEY (request_id, platform)
);

-- Chat users' Entra identities, cached. `data` is the CachedIdentity as JSON.
CREATE TABLE identities (
    platform   TEXT        NOT NULL,
    chat_id    TEXT        NOT NULL,
    entra_id   TEXT        NOT NULL,
    data       TEXT        NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

-- Inbound delivery keys already handled (platform retries are dropped).
CREATE TABLE deliveries (
    key     TEXT        PRIMARY KEY,
    seen_at TIMESTAMPTZ NOT NULL
);
