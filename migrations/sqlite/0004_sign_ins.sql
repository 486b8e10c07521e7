-- Activate mode: chat users sign in with Entra (authorization code + PKCE) and pimbot keeps their
-- refresh token to call PIM as them. Secrets arrive sealed (AES-256-GCM, bound to their owner):
-- these tables never hold a token, a verifier or a `state` in the clear.

-- A sign-in begun and not finished, keyed by the SHA-256 hex of its `state` (never the state
-- itself). Taken once by the callback (DELETE … RETURNING), or purged once expired.
-- `purpose` is the SignInPurpose as JSON ({"kind":"login"}, {"kind":"resume","request":1042}, …).
CREATE TABLE sign_in_states (
    state_digest    TEXT PRIMARY KEY,
    platform        TEXT NOT NULL,
    chat_user       TEXT NOT NULL,
    entra_id        TEXT NOT NULL,
    sealed_verifier TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX sign_in_states_expires_at_idx ON sign_in_states (expires_at);

-- One kept sign-in per chat user: the Entra account, the sealed refresh token, the granted
-- scopes (space-separated, as OAuth writes them) and until when it is kept.
CREATE TABLE sign_ins (
    platform             TEXT NOT NULL,
    chat_user            TEXT NOT NULL,
    entra_id             TEXT NOT NULL,
    sealed_refresh_token TEXT NOT NULL,
    scopes               TEXT NOT NULL,
    signed_in_at         TEXT NOT NULL,
    refreshed_at         TEXT NOT NULL,
    keep_until           TEXT NOT NULL,
    PRIMARY KEY (platform, chat_user)
);
CREATE INDEX sign_ins_keep_until_idx ON sign_ins (keep_until);
