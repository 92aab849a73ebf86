-- The readiness trend: each stored gap-analysis run's score per organisation and policy, written beside its
-- findings (schema/migrations/0003_gap_reports.sql) so that the console can draw a line per policy without reading
-- every run's findings. Row-level security is that of the findings: a custodian adds up its own organisations only.
ALTER TABLE gap_reports ADD COLUMN sees_all boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN gap_reports.sees_all IS 'Whether the run covered every organisation (its caller saw all of them); the trend of a reader who sees all draws only those runs.';

CREATE TABLE gap_report_scores (
    report_id uuid NOT NULL REFERENCES gap_reports (id) ON DELETE CASCADE,
    org_id    text NOT NULL,
    policy_id text NOT NULL,
    met       integer NOT NULL CHECK (met >= 0),
    partial   integer NOT NULL CHECK (partial >= 0),
    missing   integer NOT NULL CHECK (missing >= 0),
    -- The weighted score's two sums (`GapReport.Score`): the share is weighted / total.
    weighted  double precision NOT NULL CHECK (weighted >= 0),
    total     double precision NOT NULL CHECK (total >= weighted),
    PRIMARY KEY (report_id, org_id, policy_id)
);
CREATE INDEX gap_report_scores_policy_idx ON gap_report_scores (policy_id, report_id);

GRANT SELECT, INSERT ON gap_report_scores TO logatlas_app;
ALTER TABLE gap_report_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY gap_report_scores_read ON gap_report_scores FOR SELECT TO logatlas_app
    USING (app_sees_all() OR org_id = ANY (app_orgs()));
CREATE POLICY gap_report_scores_write ON gap_report_scores FOR INSERT TO logatlas_app
    WITH CHECK (app_sees_all() OR org_id = ANY (app_orgs()));
