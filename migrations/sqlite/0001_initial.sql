-- pimbot schema, SQLite. The PostgreSQL schema in ../postgres/ has the same tables and columns.
--
-- Naming: tables are plural nouns (requests, approvals, audit_events, jobs, chat_messages,
-- identities, deliveries); audit_head is singular because it holds exactly one row.
-- Timestamps are TEXT as sqlx writes DateTime<Utc> (RFC 3339, always `+00:00`), which sorts and
-- compares correctly as text; they are bound from Rust (never CURRENT_TIMESTAMP).

-- One row per elevation request. `id` is the number people see (PIM-<id>). `data` holds the whole
-- Request as JSON; `version`, `state` and `id` are authoritative in their columns.
CREATE TABLE requests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    version            BIGINT  NOT NULL,
    state              TEXT    NOT NULL,
    platform           TEXT    NOT NULL,
    requester_entra_id TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    data               TEXT    NOT NULL
);
CREATE INDEX requests_requester_idx ON requests (requester_entra_id);
CREATE INDEX requests_state_idx ON requests (state);

-- Approvers' decisions: one per request and approver (a second one loses its transition).
CREATE TABLE approvals (
    request_id        INTEGER NOT NULL REFERENCES requests (id),
    approver_entra_id TEXT    NOT NULL,
    approve           BOOLEAN NOT NULL,
    reason            TEXT,
    decided_at        TEXT    NOT NULL,
    UNIQUE (request_id, approver_entra_id)
);

-- The audit trail. APPEND-ONLY: rows are never updated or deleted. Each row keeps the exact
-- canonical JSON text that was hashed and hash = sha256(prev_hash || canonical).
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    request_id INTEGER,
    canonical  TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);

-- The end of the chain. Every append starts with
-- `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash` inside a write
-- transaction (pimbot opens them with BEGIN IMMEDIATE), so appends are serialised.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Triggers `audit_events_no_update` and `audit_events_no_delete` refuse changes to audit_events.
-- Tests that simulate tampering drop them first
-- (`DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;`).
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;

-- The outbox: side effects run at least once by the worker. `payload` is the Job as JSON.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    run_at       TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT    NOT NULL,
    request_id   INTEGER
);
CREATE INDEX jobs_run_at_idx ON jobs (run_at);

-- The approval message of a request on each platform.
CREATE TABLE chat_messages (
    request_id   INTEGER NOT NULL,
    platform     TEXT    NOT NULL,
    conversation TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    PRIMARY KEY (request_id, platform)
);

-- Chat users' Entra identities, cached. `data` is the CachedIdentity as JSON.
CREATE TABLE identities (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    entra_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

-- Inbound delivery keys already handled (platform retries are dropped).
CREATE TABLE deliveries (
    key     TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
