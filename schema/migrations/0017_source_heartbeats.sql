-- Live source probes: what `logatlas probe` found in a source's local log files (oldest and newest record, records,
-- bytes), reported with a custodian token. Each heartbeat with records also attests the oldest record (method
-- `probe`, in attestations), so a retention shorter than declared shows as drift; a source whose latest heartbeat
-- is older than its expected interval, or whose newest record is, is silent. As visible as the source.

CREATE TABLE source_heartbeats (
    id                      uuid PRIMARY KEY,
    source_id               uuid NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    received_at             timestamptz NOT NULL,
    reported_by             text NOT NULL,
    host                    text CHECK (host IS NULL OR length(host) <= 200),
    oldest_record_at        timestamptz,
    newest_record_at        timestamptz,
    records                 bigint NOT NULL CHECK (records >= 0),
    bytes                   bigint NOT NULL CHECK (bytes >= 0),
    files                   integer NOT NULL CHECK (files >= 1),
    expected_interval_hours double precision NOT NULL CHECK (expected_interval_hours > 0 AND expected_interval_hours <= 8760),
    CHECK ((oldest_record_at IS NULL) = (newest_record_at IS NULL) AND oldest_record_at <= newest_record_at)
);
CREATE INDEX source_heartbeats_source_idx ON source_heartbeats (source_id, received_at DESC);

GRANT SELECT, INSERT ON source_heartbeats TO logatlas_app;
ALTER TABLE source_heartbeats ENABLE ROW LEVEL SECURITY;

-- Read as the source; written by an admin or a custodian of the organisation holding the source
-- (Principal.mayReportHeartbeat), under its own name.
CREATE POLICY source_heartbeats_read ON source_heartbeats FOR SELECT TO logatlas_app
    USING (app_sees_all() OR app_sees_source(source_id));
CREATE POLICY source_heartbeats_report ON source_heartbeats FOR INSERT TO logatlas_app
    WITH CHECK (reported_by = current_setting('logatlas.actor', true) AND (app_is_admin() OR EXISTS (
        SELECT 1 FROM log_sources s WHERE s.id = source_id AND app_is_custodian_of(s.custodian_org_id))));
