-- The same hash chain, computed with inline expressions instead of a SQL-function call per field and row
-- (each call ran a small executor of its own; filing a request appends one event per item). Hashes are
-- unchanged: sha256(prev_hash|seq|occurred_at_us|actor|action|object_type|object_id|before_digest|after_digest).
-- All events of one statement share one timestamp.
CREATE OR REPLACE FUNCTION audit_append_all(p_actor text, p_actions text[], p_object_type text, p_object_ids text[],
                                            p_befores jsonb[], p_afters jsonb[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_prev   text;
    v_count  integer := coalesce(array_length(p_object_ids, 1), 0);
    v_at     timestamptz := date_trunc('microseconds', clock_timestamp());
    v_micros text;
    v_seqs   bigint[];
    v_bs     text[];
    v_as     text[];
    v_prevs  text[] := '{}';
    v_hashes text[] := '{}';
BEGIN
    IF v_count = 0 THEN RETURN; END IF;
    v_micros := (extract(epoch FROM v_at) * 1000000)::bigint::text;
    PERFORM pg_advisory_xact_lock(7310001);
    SELECT hash INTO v_prev FROM audit_events ORDER BY seq DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    SELECT array_agg(nextval('audit_events_seq') ORDER BY g) INTO v_seqs FROM generate_series(1, v_count) AS g;
    SELECT array_agg(CASE WHEN u.b IS NULL THEN NULL ELSE encode(sha256(convert_to(u.b::text, 'UTF8')), 'hex') END ORDER BY u.i),
           array_agg(CASE WHEN u.a IS NULL THEN NULL ELSE encode(sha256(convert_to(u.a::text, 'UTF8')), 'hex') END ORDER BY u.i)
    INTO v_bs, v_as
    FROM unnest(p_befores, p_afters) WITH ORDINALITY AS u(b, a, i);
    FOR i IN 1..v_count LOOP
        v_prevs := v_prevs || v_prev;
        v_prev := encode(sha256(convert_to(concat_ws('|', v_prev, v_seqs[i]::text, v_micros, p_actor, p_actions[i], p_object_type,
                                                      p_object_ids[i], coalesce(v_bs[i], ''), coalesce(v_as[i], '')), 'UTF8')), 'hex');
        v_hashes := v_hashes || v_prev;
    END LOOP;
    INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_digest, after_digest, prev_hash, hash)
    SELECT e.seq, v_at, p_actor, e.action, p_object_type, e.object_id, e.b, e.a, e.prev, e.hash
    FROM unnest(v_seqs, p_actions, p_object_ids, v_bs, v_as, v_prevs, v_hashes) AS e(seq, action, object_id, b, a, prev, hash);
END $$;
