-- Stored gap-analysis runs, so that the next run can say what improved and what regressed.
-- Findings carry the organisation they concern; row-level security shows a custodian only its own.
CREATE TABLE gap_reports (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL,
    policies         text[] NOT NULL,
    org_filter       text,
    system_filter    text,
    inventory_digest text NOT NULL,
    attack_version   text NOT NULL
);
CREATE INDEX gap_reports_created_idx ON gap_reports (created_at DESC);

CREATE TABLE gap_findings (
    report_id         uuid NOT NULL REFERENCES gap_reports (id) ON DELETE CASCADE,
    policy_id         text NOT NULL,
    requirement_id    text NOT NULL,
    requirement_title text NOT NULL,
    clause            text NOT NULL,
    target_kind       text NOT NULL CHECK (target_kind IN ('system', 'org')),
    target_id         text NOT NULL,
    org_id            text NOT NULL,
    status            text NOT NULL CHECK (status IN ('met', 'partial', 'missing')),
    shortfalls        jsonb NOT NULL DEFAULT '[]',
    shortfall_types   text[] NOT NULL DEFAULT '{}',
    source_ids        uuid[] NOT NULL DEFAULT '{}',
    incident_types    integer[] NOT NULL DEFAULT '{}',
    weight            double precision NOT NULL CHECK (weight > 0),
    PRIMARY KEY (report_id, policy_id, requirement_id, target_kind, target_id)
);
CREATE INDEX gap_findings_org_idx ON gap_findings (report_id, org_id);

GRANT SELECT, INSERT ON gap_reports, gap_findings TO logatlas_app;
ALTER TABLE gap_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE gap_findings ENABLE ROW LEVEL SECURITY;

-- Every signed-in role may run and read reports; what a report shows is filtered per finding.
CREATE POLICY gap_reports_read ON gap_reports FOR SELECT TO logatlas_app USING (app_role() <> '');
CREATE POLICY gap_reports_write ON gap_reports FOR INSERT TO logatlas_app WITH CHECK (app_role() <> '');
CREATE POLICY gap_findings_read ON gap_findings FOR SELECT TO logatlas_app
    USING (app_sees_all() OR org_id = ANY (app_orgs()));
CREATE POLICY gap_findings_write ON gap_findings FOR INSERT TO logatlas_app
    WITH CHECK (app_sees_all() OR org_id = ANY (app_orgs()));

CREATE TRIGGER gap_reports_audit_insert AFTER INSERT ON gap_reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('gap-report');
