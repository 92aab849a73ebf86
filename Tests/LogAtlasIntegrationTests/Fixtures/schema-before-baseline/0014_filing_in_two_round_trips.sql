-- Filing a request took five round trips: BEGIN, setting the caller, reading the sources, the insert, COMMIT.
-- Each costs the server about a tenth of a millisecond of CPU on top of PostgreSQL's, and filing is CPU-bound.
-- These two functions set the caller themselves, as source_as_caller does for one source, so filing is two
-- statements, each its own transaction: the read of the sources (under row-level security, as the caller), and
-- the insert of the request with its items (as the caller, audited, chained at its commit). Under READ COMMITTED
-- the two never shared a snapshot anyway; the insert stays one atomic statement.
--
-- A source as the API shows it — the row, its latest attestation, its measured lead time — is now one view, read
-- under row-level security as whoever reads it (security_invoker), and both the one-source read (GET
-- /v1/sources/{id}) and the list read of filing return its rows. The one-source read stays a function of its own:
-- through the list function PL/pgSQL re-planned the row-level-security query on every one-element call (4x the
-- cost in PostgreSQL), and forcing the generic plan cost a function-level setting on every call (both measured).
CREATE VIEW source_rows WITH (security_invoker = true) AS
    SELECT s.id, s.system_id, s.system_owner_org_id, s.name, s.log_type, s.product, s.format, s.custodian_org_id,
           s.retention_tiers::text AS tiers, s.access_procedure::text AS access, s.fields, s.clock_ntp_synced,
           s.clock_timezone, s.volume_gb_per_day, s.notes, s.version,
           a.oldest_record_at, a.checked_at, a.checked_by, a.method,
           lt.samples AS lead_samples, lt.median_hours AS lead_median, lt.p90_hours AS lead_p90
    FROM log_sources s
    LEFT JOIN LATERAL (SELECT oldest_record_at, checked_at, checked_by, method FROM attestations
                       WHERE source_id = s.id ORDER BY checked_at DESC LIMIT 1) a ON true
    LEFT JOIN source_lead_times lt ON lt.source_id = s.id;
GRANT SELECT ON source_rows TO logatlas_app;

DROP FUNCTION source_as_caller(text, text, text, uuid);
CREATE FUNCTION source_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid) RETURNS SETOF source_rows
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    RETURN QUERY SELECT * FROM source_rows WHERE id = p_id;
END $$;

CREATE FUNCTION sources_as_caller(p_role text, p_orgs text, p_actor text, p_ids uuid[]) RETURNS SETOF source_rows
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    RETURN QUERY SELECT * FROM source_rows WHERE id = ANY (p_ids);
END $$;

-- p_items: a JSON array of {id, requester_org_id, custodian_org_id, source_ids, feasibility, acknowledge_due,
-- deliver_due, preserve_before}, one per custodian organisation.
CREATE FUNCTION file_request_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid, p_incident_reference text,
                                       p_purpose text, p_priority text, p_window_from timestamptz, p_window_to timestamptz,
                                       p_hints jsonb, p_requester_org_id text, p_requested_by text, p_filed_at timestamptz,
                                       p_warnings text[], p_items jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    WITH request AS (
        INSERT INTO requests (id, incident_reference, purpose, priority, window_from, window_to, hints, requester_org_id,
                              requested_by, filed_at, warnings)
        VALUES (p_id, p_incident_reference, p_purpose, p_priority, p_window_from, p_window_to, p_hints, p_requester_org_id,
                p_requested_by, p_filed_at, p_warnings)
        RETURNING id)
    INSERT INTO request_items (id, request_id, requester_org_id, custodian_org_id, source_ids, feasibility,
                               acknowledge_due, deliver_due, preserve_before, sla_from)
    SELECT x.id, (SELECT id FROM request), x.requester_org_id, x.custodian_org_id, x.source_ids, x.feasibility,
           x.acknowledge_due, x.deliver_due, x.preserve_before, p_filed_at + (x.acknowledge_due - p_filed_at) / 2
    FROM jsonb_to_recordset(p_items) AS x(id uuid, requester_org_id text, custodian_org_id text, source_ids uuid[],
                                          feasibility jsonb, acknowledge_due timestamptz, deliver_due timestamptz,
                                          preserve_before timestamptz);
END $$;
