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

-- The hash of one event: it covers the previous event's hash and every field of this one.
CREATE FUNCTION audit_hash(p_prev text, p_seq bigint, p_at timestamptz, p_actor text, p_action text, p_object_type text,
                           p_object_id text, p_before text, p_after text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws('|', p_prev, p_seq::text, (extract(epoch FROM p_at) * 1000000)::bigint::text,
        p_actor, p_action, p_object_type, p_object_id, coalesce(p_before, ''), coalesce(p_after, '')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_digest(p_state jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN p_state IS NULL THEN NULL ELSE encode(sha256(convert_to(p_state::text, 'UTF8')), 'hex') END $$;

CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('logatlas.actor', true), ''), 'system') $$;

-- Appends events to the chain in one INSERT. Serialised by a transaction-level advisory lock so the
-- chain stays linear; runs as the owner so the application role needs no rights on the table.
CREATE FUNCTION audit_append_all(p_actor text, p_actions text[], p_object_type text, p_object_ids text[],
                                 p_befores jsonb[], p_afters jsonb[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_prev   text;
    v_count  integer := coalesce(array_length(p_object_ids, 1), 0);
    v_seqs   bigint[] := '{}';
    v_ats    timestamptz[] := '{}';
    v_bs     text[] := '{}';
    v_as     text[] := '{}';
    v_prevs  text[] := '{}';
    v_hashes text[] := '{}';
    v_seq    bigint;
    v_at     timestamptz;
BEGIN
    IF v_count = 0 THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock(7310001);
    SELECT hash INTO v_prev FROM audit_events ORDER BY seq DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    FOR i IN 1..v_count LOOP
        v_seq := nextval('audit_events_seq');
        v_at := date_trunc('microseconds', clock_timestamp());
        v_seqs := v_seqs || v_seq;
        v_ats := v_ats || v_at;
        v_bs := v_bs || audit_digest(p_befores[i]);
        v_as := v_as || audit_digest(p_afters[i]);
        v_prevs := v_prevs || v_prev;
        v_prev := audit_hash(v_prev, v_seq, v_at, p_actor, p_actions[i], p_object_type, p_object_ids[i], v_bs[i], v_as[i]);
        v_hashes := v_hashes || v_prev;
    END LOOP;
    INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_digest, after_digest, prev_hash, hash)
    SELECT e.seq, e.at, p_actor, e.action, p_object_type, e.object_id, e.b, e.a, e.prev, e.hash
    FROM unnest(v_seqs, v_ats, p_actions, p_object_ids, v_bs, v_as, v_prevs, v_hashes)
         AS e(seq, at, action, object_id, b, a, prev, hash);
END $$;

-- Appends one event (for actions that are not row changes, such as downloads).
CREATE FUNCTION audit_append(p_actor text, p_action text, p_object_type text, p_object_id text,
                             p_before jsonb, p_after jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT audit_append_all(p_actor, ARRAY[p_action], p_object_type, ARRAY[p_object_id], ARRAY[p_before], ARRAY[p_after]) $$;

-- Statement-level audit of a table: one event per changed row, in the same transaction.
-- TG_ARGV[0] is the object type (org, system, source, attestation, user, token).
CREATE FUNCTION audit_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_type text := TG_ARGV[0];
    v_verb text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'DELETE' THEN 'delete'
                              ELSE CASE WHEN TG_ARGV[0] = 'token' THEN 'revoke' ELSE 'update' END END;
    v_ids text[];
    v_befores jsonb[];
    v_afters jsonb[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id::text ORDER BY n.id::text), array_agg(NULL::jsonb), array_agg(to_jsonb(n) ORDER BY n.id::text)
        INTO v_ids, v_befores, v_afters FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.id::text ORDER BY n.id::text), array_agg(to_jsonb(o) ORDER BY n.id::text), array_agg(to_jsonb(n) ORDER BY n.id::text)
        INTO v_ids, v_befores, v_afters FROM new_rows n JOIN old_rows o ON o.id = n.id;
    ELSE
        SELECT array_agg(o.id::text ORDER BY o.id::text), array_agg(to_jsonb(o) ORDER BY o.id::text), array_agg(NULL::jsonb)
        INTO v_ids, v_befores, v_afters FROM old_rows o;
    END IF;
    PERFORM audit_append_all(audit_actor(), array_fill(v_type || '.' || v_verb, ARRAY[coalesce(array_length(v_ids, 1), 0)]),
                             v_type, v_ids, v_befores, v_afters);
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
