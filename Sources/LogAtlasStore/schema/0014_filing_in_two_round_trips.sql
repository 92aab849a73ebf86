-- Filing a request took five round trips: BEGIN, setting the caller, reading the sources, the insert, COMMIT.
-- Each costs the server about a tenth of a millisecond of CPU on top of PostgreSQL's, and filing is CPU-bound.
-- These two functions set the caller themselves, as source_as_caller does for one source, so filing is two
-- statements, each its own transaction: the read of the sources (under row-level security, as the caller), and
-- the insert of the request with its items (as the caller, audited, chained at its commit). Under READ COMMITTED
-- the two never shared a snapshot anyway; the insert stays one atomic statement.
--
-- sources_as_caller repeats source_as_caller's query for a list of sources. GET /v1/sources/{id} keeps the one-id
-- function: through this one, PL/pgSQL re-planned the row-level-security query on every one-element call (4x the
-- cost in PostgreSQL), and forcing the generic plan cost the function-level setting on every call (measured).

CREATE FUNCTION sources_as_caller(p_role text, p_orgs text, p_actor text, p_ids uuid[])
RETURNS TABLE (id uuid, system_id text, system_owner_org_id text, name text, log_type text, product text, format text,
               custodian_org_id text, tiers text, access text, fields text[], clock_ntp_synced boolean, clock_timezone text,
               volume_gb_per_day double precision, notes text, version integer,
               oldest_record_at timestamptz, checked_at timestamptz, checked_by text, method text,
               lead_samples integer, lead_median double precision, lead_p90 double precision)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    RETURN QUERY
        SELECT s.id, s.system_id, s.system_owner_org_id, s.name, s.log_type, s.product, s.format, s.custodian_org_id,
               s.retention_tiers::text, s.access_procedure::text, s.fields, s.clock_ntp_synced, s.clock_timezone,
               s.volume_gb_per_day, s.notes, s.version, a.oldest_record_at, a.checked_at, a.checked_by, a.method,
               lt.samples, lt.median_hours, lt.p90_hours
        FROM log_sources s
        LEFT JOIN LATERAL (SELECT oldest_record_at, checked_at, checked_by, method FROM attestations
                           WHERE source_id = s.id ORDER BY checked_at DESC LIMIT 1) a ON true
        LEFT JOIN source_lead_times lt ON lt.source_id = s.id
        WHERE s.id = ANY (p_ids);
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
