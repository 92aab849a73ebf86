-- Hot reads in one round trip. The function switches the statement's transaction to logatlas_app and
-- sets the caller before its query starts, so row-level security applies exactly as in a caller-scoped
-- transaction; both revert when the statement ends. plpgsql caches the query's plan per connection.
CREATE FUNCTION source_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid)
RETURNS TABLE (id uuid, system_id text, system_owner_org_id text, name text, log_type text, product text, format text,
               custodian_org_id text, tiers text, access text, fields text[], clock_ntp_synced boolean, clock_timezone text,
               volume_gb_per_day double precision, notes text, version integer,
               oldest_record_at timestamptz, checked_at timestamptz, checked_by text, method text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    RETURN QUERY
        SELECT s.id, s.system_id, s.system_owner_org_id, s.name, s.log_type, s.product, s.format, s.custodian_org_id,
               s.retention_tiers::text, s.access_procedure::text, s.fields, s.clock_ntp_synced, s.clock_timezone,
               s.volume_gb_per_day, s.notes, s.version, a.oldest_record_at, a.checked_at, a.checked_by, a.method
        FROM log_sources s
        LEFT JOIN LATERAL (SELECT oldest_record_at, checked_at, checked_by, method FROM attestations
                           WHERE source_id = s.id ORDER BY checked_at DESC LIMIT 1) a ON true
        WHERE s.id = p_id;
END $$;
