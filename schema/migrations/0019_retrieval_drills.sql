-- Retrieval drills: a schedule per custodian organisation files, once per period, a drill request per tier of its
-- sources for a small window at the tier's far edge (the oldest day it claims to keep). Drill requests are marked and
-- kept out of the friction statistics; their deliveries are lead-time samples tagged as drills. How each drill went
-- (passed, failed, pending) is judged by the drill job; a pass at the longest tier's edge attests the window's start
-- (method `drill`).

ALTER TABLE requests ADD COLUMN drill boolean NOT NULL DEFAULT false;
ALTER TABLE source_deliveries ADD COLUMN drill boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION record_delivery() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO source_deliveries (source_id, item_id, hours, delivered_at, drill)
    SELECT src, NEW.id, extract(epoch FROM NEW.delivered_at - r.filed_at) / 3600, NEW.delivered_at, r.drill
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

CREATE TABLE drill_schedules (
    id               uuid PRIMARY KEY,
    custodian_org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    csirt_org_id     text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    source_ids       uuid[] NOT NULL DEFAULT '{}',
    every_days       integer NOT NULL CHECK (every_days BETWEEN 7 AND 3650),
    window_hours     double precision NOT NULL CHECK (window_hours > 0 AND window_hours <= 24),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL
);

-- One row per (schedule, period, source, tier): the unique key is what makes a drill filed exactly once per period,
-- whichever replica's job claims it first.
CREATE TABLE drills (
    id               uuid PRIMARY KEY,
    schedule_id      uuid NOT NULL REFERENCES drill_schedules (id) ON DELETE CASCADE,
    period           integer NOT NULL CHECK (period >= 0),
    source_id        uuid NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    custodian_org_id text NOT NULL,
    tier_index       integer NOT NULL,
    medium           text NOT NULL,
    tier_days        integer NOT NULL,
    window_from      timestamptz NOT NULL,
    window_to        timestamptz NOT NULL,
    expected_hours   double precision NOT NULL,
    -- Whether the tier keeps the longest: a pass of its edge attests the source's oldest record.
    longest          boolean NOT NULL,
    claimed_at       timestamptz NOT NULL,
    request_id       uuid REFERENCES requests (id) ON DELETE RESTRICT,
    item_id          uuid REFERENCES request_items (id) ON DELETE RESTRICT,
    filed_at         timestamptz,
    outcome          text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'passed', 'failed')),
    reason           text,
    judged_at        timestamptz,
    UNIQUE (schedule_id, period, source_id, tier_index)
);
CREATE INDEX drills_pending_idx ON drills (item_id) WHERE outcome = 'pending';

CREATE TRIGGER drill_schedules_audit_insert AFTER INSERT ON drill_schedules REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('drill_schedule');
CREATE TRIGGER drills_audit_update AFTER UPDATE ON drills REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('drill');

GRANT SELECT, INSERT ON drill_schedules TO logatlas_app;
GRANT SELECT ON drills TO logatlas_app;
ALTER TABLE drill_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE drills ENABLE ROW LEVEL SECURITY;

-- The CSIRT, auditors and admins read every schedule and drill; a custodian its organisations'. Admins and members of
-- the filing CSIRT team schedule (Principal.mayScheduleDrills); drills themselves are written by the SLA job only.
CREATE POLICY drill_schedules_read ON drill_schedules FOR SELECT TO logatlas_app
    USING (app_sees_all() OR custodian_org_id = ANY (app_orgs()));
CREATE POLICY drill_schedules_create ON drill_schedules FOR INSERT TO logatlas_app
    WITH CHECK (app_is_admin() OR (app_role() = 'csirt' AND csirt_org_id = ANY (app_orgs())));
CREATE POLICY drills_read ON drills FOR SELECT TO logatlas_app
    USING (app_sees_all() OR custodian_org_id = ANY (app_orgs()));
