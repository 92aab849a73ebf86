-- Guest links: a custodian without an account answers one item through `/guest/<secret>`. Like console sessions the
-- table belongs to the owner; the secret is stored as its SHA-256 only, the optional passphrase as a scrypt string.
CREATE TABLE guest_links (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id      uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    item_id         uuid NOT NULL REFERENCES request_items (id) ON DELETE CASCADE,
    custodian_org_id text NOT NULL,
    secret_hash     bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    passphrase_hash text CHECK (passphrase_hash LIKE 'scrypt$%'),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL CHECK (expires_at > created_at AND expires_at <= created_at + interval '14 days'),
    revoked_at      timestamptz
);
CREATE INDEX guest_links_item_idx ON guest_links (item_id);
