-- Users, roles, API tokens (stored as SHA-256 hashes only) and the hash-chained audit trail.

CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL UNIQUE CHECK (name ~ '^[a-zA-Z0-9._@-]{1,100}$'),
    role       text NOT NULL CHECK (role IN ('admin', 'csirt', 'custodian', 'auditor')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_orgs (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id  text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, org_id)
);

CREATE TABLE api_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- First characters of the token, so that a user can tell tokens apart when revoking.
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Append-only, hash-chained audit trail. Each hash covers the previous hash and the event's fields:
-- sha256(prev_hash|seq|occurred_at_us|actor|action|object_type|object_id|before_digest|after_digest).
CREATE TABLE audit_events (
    seq           bigint PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    actor         text NOT NULL,
    action        text NOT NULL,
    object_type   text NOT NULL,
    object_id     text NOT NULL,
    before_digest text,
    after_digest  text,
    prev_hash     text NOT NULL,
    hash          text NOT NULL
);
CREATE SEQUENCE audit_events_seq;
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id);

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Appends one event to the chain. Serialised by a transaction-level advisory lock so the chain
-- stays linear; runs as the owner so the application role needs no rights on the table.
CREATE FUNCTION audit_append(p_actor text, p_action text, p_object_type text, p_object_id text,
                             p_before jsonb, p_after jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_prev   text;
    v_seq    bigint;
    v_at     timestamptz := date_trunc('microseconds', clock_timestamp());
    v_before text := CASE WHEN p_before IS NULL THEN NULL ELSE encode(sha256(convert_to(p_before::text, 'UTF8')), 'hex') END;
    v_after  text := CASE WHEN p_after IS NULL THEN NULL ELSE encode(sha256(convert_to(p_after::text, 'UTF8')), 'hex') END;
BEGIN
    PERFORM pg_advisory_xact_lock(7310001);
    SELECT hash INTO v_prev FROM audit_events ORDER BY seq DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    v_seq := nextval('audit_events_seq');
    INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_digest, after_digest, prev_hash, hash)
    VALUES (v_seq, v_at, p_actor, p_action, p_object_type, p_object_id, v_before, v_after, v_prev,
            encode(sha256(convert_to(concat_ws('|', v_prev, v_seq::text,
                (extract(epoch FROM v_at) * 1000000)::bigint::text, p_actor, p_action, p_object_type, p_object_id,
                coalesce(v_before, ''), coalesce(v_after, '')), 'UTF8')), 'hex'));
END $$;

CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('logatlas.actor', true), ''), 'system') $$;

-- Statement-level audit of a table: one event per changed row, in the same transaction.
-- TG_ARGV[0] is the object type (org, system, source, attestation, user, token).
CREATE FUNCTION audit_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    v_type text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR r IN SELECT n.id::text AS id, to_jsonb(n) AS after FROM new_rows n ORDER BY 1 LOOP
            PERFORM audit_append(audit_actor(), v_type || '.create', v_type, r.id, NULL, r.after);
        END LOOP;
    ELSIF TG_OP = 'UPDATE' THEN
        FOR r IN SELECT n.id::text AS id, to_jsonb(o) AS before, to_jsonb(n) AS after
                 FROM new_rows n JOIN old_rows o ON o.id = n.id ORDER BY 1 LOOP
            PERFORM audit_append(audit_actor(),
                v_type || CASE WHEN v_type = 'token' THEN '.revoke' ELSE '.update' END,
                v_type, r.id, r.before, r.after);
        END LOOP;
    ELSE
        FOR r IN SELECT o.id::text AS id, to_jsonb(o) AS before FROM old_rows o ORDER BY 1 LOOP
            PERFORM audit_append(audit_actor(), v_type || '.delete', v_type, r.id, r.before, NULL);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER orgs_audit_insert AFTER INSERT ON orgs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('org');
CREATE TRIGGER orgs_audit_update AFTER UPDATE ON orgs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('org');
CREATE TRIGGER orgs_audit_delete AFTER DELETE ON orgs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('org');
CREATE TRIGGER systems_audit_insert AFTER INSERT ON systems REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('system');
CREATE TRIGGER systems_audit_update AFTER UPDATE ON systems REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('system');
CREATE TRIGGER systems_audit_delete AFTER DELETE ON systems REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('system');
CREATE TRIGGER sources_audit_insert AFTER INSERT ON log_sources REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('source');
CREATE TRIGGER sources_audit_update AFTER UPDATE ON log_sources REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('source');
CREATE TRIGGER sources_audit_delete AFTER DELETE ON log_sources REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('source');
CREATE TRIGGER attestations_audit_insert AFTER INSERT ON attestations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('attestation');
CREATE TRIGGER users_audit_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user');
CREATE TRIGGER tokens_audit_insert AFTER INSERT ON api_tokens REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('token');
CREATE TRIGGER tokens_audit_update AFTER UPDATE ON api_tokens REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('token');
