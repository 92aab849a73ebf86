-- Measured lead times: each delivered item adds one sample (filing to delivery, in hours) to each of its
-- sources; per-source statistics are kept current by the same trigger so that source reads need one join.

CREATE TABLE source_deliveries (
    source_id    uuid NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    item_id      uuid NOT NULL REFERENCES request_items (id) ON DELETE CASCADE,
    hours        double precision NOT NULL CHECK (hours >= 0),
    delivered_at timestamptz NOT NULL,
    PRIMARY KEY (source_id, item_id)
);

CREATE TABLE source_lead_times (
    source_id    uuid PRIMARY KEY REFERENCES log_sources (id) ON DELETE CASCADE,
    samples      integer NOT NULL CHECK (samples > 0),
    median_hours double precision NOT NULL,
    p90_hours    double precision NOT NULL
);

GRANT SELECT ON source_deliveries, source_lead_times TO logatlas_app;
ALTER TABLE source_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE source_lead_times ENABLE ROW LEVEL SECURITY;
-- A statistic is as visible as its source.
CREATE POLICY source_deliveries_read ON source_deliveries FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM log_sources s WHERE s.id = source_id));
CREATE POLICY source_lead_times_read ON source_lead_times FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM log_sources s WHERE s.id = source_id));

CREATE FUNCTION record_delivery() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO source_deliveries (source_id, item_id, hours, delivered_at)
    SELECT src, NEW.id, extract(epoch FROM NEW.delivered_at - r.filed_at) / 3600, NEW.delivered_at
    FROM unnest(NEW.source_ids) AS src JOIN requests r ON r.id = NEW.request_id
    WHERE EXISTS (SELECT 1 FROM log_sources s WHERE s.id = src)
    ON CONFLICT DO NOTHING;
    INSERT INTO source_lead_times (source_id, samples, median_hours, p90_hours)
    SELECT d.source_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.hours),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY d.hours)
    FROM source_deliveries d WHERE d.source_id = ANY (NEW.source_ids) GROUP BY d.source_id
    ON CONFLICT (source_id) DO UPDATE
        SET samples = EXCLUDED.samples, median_hours = EXCLUDED.median_hours, p90_hours = EXCLUDED.p90_hours;
    RETURN NULL;
END $$;
CREATE TRIGGER request_items_delivered AFTER UPDATE OF delivered_at ON request_items
    FOR EACH ROW WHEN (NEW.delivered_at IS NOT NULL AND OLD.delivered_at IS NULL) EXECUTE FUNCTION record_delivery();

-- The hot read gains the measured lead time.
DROP FUNCTION source_as_caller(text, text, text, uuid);
CREATE FUNCTION source_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid)
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
        WHERE s.id = p_id;
END $$;
