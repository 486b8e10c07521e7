-- Where to reach a conversation or a person on platforms that need more than an id (Teams: the
-- Connector service URL and the tenant). Written only from authenticated inbound traffic, so an
-- outbound call never goes to a URL an attacker chose.
-- `key` is a conversation id, or `user:<Entra object id>` for a person; for a person,
-- `conversation_id` is their 1:1 conversation once one exists and `member_id` their platform id.
CREATE TABLE conversation_refs (
    platform        TEXT NOT NULL,
    key             TEXT NOT NULL,
    conversation_id TEXT,
    service_url     TEXT NOT NULL,
    tenant_id       TEXT,
    member_id       TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (platform, key)
);
