-- Inventory: organisations, systems, log sources and attestations; the application role and the caller settings
-- that row-level security reads. The application switches to `logatlas_app` in every caller-scoped transaction
-- (or a function does so for its one statement) and sets logatlas.role / logatlas.orgs / logatlas.actor.

-- The role itself belongs to the cluster, not the database: the migrator creates it before any migration runs
-- (Migrator.prepareApplicationRole), and so does `logatlas restore` before it restores a backup.
GRANT USAGE ON SCHEMA public TO logatlas_app;

-- The caller, as set for the current transaction. Unset means "no rights".
CREATE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('logatlas.role', true), '') $$;
CREATE FUNCTION app_orgs() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('logatlas.orgs', true), ''), ','), '{}') $$;
CREATE FUNCTION app_sees_all() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() IN ('admin', 'csirt', 'auditor') $$;
CREATE FUNCTION app_is_admin() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() = 'admin' $$;
CREATE FUNCTION app_is_custodian_of(org text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() = 'custodian' AND org = ANY (app_orgs()) $$;

CREATE TABLE orgs (
    id                 text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name               text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind               text NOT NULL CHECK (kind IN ('department', 'subsidiary', 'vendor', 'csirt')),
    parent_id          text REFERENCES orgs (id) ON DELETE RESTRICT CHECK (parent_id <> id),
    contacts           text[] NOT NULL DEFAULT '{}',
    escalation_contact text,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE systems (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    owner_org_id    text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    criticality     text NOT NULL CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    internet_facing boolean NOT NULL DEFAULT false,
    tags            text[] NOT NULL DEFAULT '{}',
    description     text,
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, owner_org_id)
);
CREATE INDEX systems_owner_idx ON systems (owner_org_id, id);

CREATE TABLE log_sources (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    system_id           text NOT NULL,
    -- The system's owner, kept in step by the foreign key below so that row-level security
    -- and the org filter need no join.
    system_owner_org_id text NOT NULL,
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    log_type            text NOT NULL CHECK (log_type ~ '^[a-z]+\.[a-z0-9-]+$'),
    product             text,
    format              text,
    custodian_org_id    text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    retention_tiers     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(retention_tiers) = 'array'),
    access_procedure    jsonb CHECK (access_procedure IS NULL OR jsonb_typeof(access_procedure) = 'object'),
    fields              text[] NOT NULL DEFAULT '{}',
    clock_ntp_synced    boolean NOT NULL DEFAULT false,
    clock_timezone      text,
    volume_gb_per_day   double precision CHECK (volume_gb_per_day >= 0),
    notes               text,
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (system_id, name),
    FOREIGN KEY (system_id, system_owner_org_id) REFERENCES systems (id, owner_org_id)
        ON UPDATE CASCADE ON DELETE RESTRICT
);
CREATE INDEX log_sources_custodian_idx ON log_sources (custodian_org_id);
CREATE INDEX log_sources_owner_idx ON log_sources (system_owner_org_id);
CREATE INDEX log_sources_type_idx ON log_sources (log_type);
CREATE INDEX log_sources_tiers_idx ON log_sources USING gin (retention_tiers jsonb_path_ops);

CREATE TABLE attestations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_id        uuid NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    oldest_record_at timestamptz NOT NULL,
    checked_at       timestamptz NOT NULL,
    checked_by       text NOT NULL CHECK (length(btrim(checked_by)) > 0),
    method           text NOT NULL CHECK (length(btrim(method)) > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (oldest_record_at <= checked_at)
);
CREATE INDEX attestations_source_idx ON attestations (source_id, checked_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON orgs, systems, log_sources, attestations TO logatlas_app;

ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE systems ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE attestations ENABLE ROW LEVEL SECURITY;

-- Organisations: everyone but custodians reads all; custodians read their own; only admins write.
CREATE POLICY orgs_read ON orgs FOR SELECT TO logatlas_app
    USING (app_sees_all() OR id = ANY (app_orgs()));
CREATE POLICY orgs_admin ON orgs FOR ALL TO logatlas_app
    USING (app_is_admin()) WITH CHECK (app_is_admin());

-- Systems: custodians read and write the systems their orgs own.
CREATE POLICY systems_read ON systems FOR SELECT TO logatlas_app
    USING (app_sees_all() OR owner_org_id = ANY (app_orgs()));
CREATE POLICY systems_write ON systems FOR ALL TO logatlas_app
    USING (app_is_admin() OR app_is_custodian_of(owner_org_id))
    WITH CHECK (app_is_admin() OR app_is_custodian_of(owner_org_id));

-- Log sources: custodians read and write sources they hold or that sit on systems they own. Whether a caller sees a
-- source is written once, `app_sees_source_row`; `app_sees_source` looks a source up by id for the policies of the
-- tables that are as visible as their source.
CREATE FUNCTION app_sees_source_row(p_custodian text, p_owner text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_sees_all() OR p_custodian = ANY (app_orgs()) OR p_owner = ANY (app_orgs()) $$;

-- Runs as the owner, so the lookup itself is not filtered again; the caller's settings decide.
CREATE FUNCTION app_sees_source(p_source uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM log_sources s WHERE s.id = p_source AND app_sees_source_row(s.custodian_org_id, s.system_owner_org_id));
END $$;
REVOKE ALL ON FUNCTION app_sees_source(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_sees_source(uuid) TO logatlas_app;

CREATE POLICY sources_read ON log_sources FOR SELECT TO logatlas_app
    USING (app_sees_source_row(custodian_org_id, system_owner_org_id));
CREATE POLICY sources_write ON log_sources FOR ALL TO logatlas_app
    USING (app_is_admin() OR app_is_custodian_of(custodian_org_id) OR app_is_custodian_of(system_owner_org_id))
    WITH CHECK (app_is_admin() OR app_is_custodian_of(custodian_org_id) OR app_is_custodian_of(system_owner_org_id));

-- Attestations are as visible as their source.
CREATE POLICY attestations_read ON attestations FOR SELECT TO logatlas_app
    USING (app_sees_all() OR app_sees_source(source_id));
CREATE POLICY attestations_write ON attestations FOR INSERT TO logatlas_app
    WITH CHECK (app_role() IN ('admin', 'custodian') AND EXISTS (SELECT 1 FROM log_sources s WHERE s.id = source_id));

-- Measured lead times per source (filing to delivery, in hours), kept current by the trigger that records a
-- delivery (0004_requests); as visible as their source.
CREATE TABLE source_lead_times (
    source_id    uuid PRIMARY KEY REFERENCES log_sources (id) ON DELETE CASCADE,
    samples      integer NOT NULL CHECK (samples > 0),
    median_hours double precision NOT NULL,
    p90_hours    double precision NOT NULL
);
GRANT SELECT ON source_lead_times TO logatlas_app;
ALTER TABLE source_lead_times ENABLE ROW LEVEL SECURITY;
CREATE POLICY source_lead_times_read ON source_lead_times FOR SELECT TO logatlas_app
    USING (app_sees_all() OR app_sees_source(source_id));

-- A source as the API shows it: the row, its latest attestation and its measured lead time, read under row-level
-- security as whoever reads it. Every source read of the application returns these rows.
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

-- One source, and a list of sources, as the caller, each in one round trip: the function switches its statement to
-- logatlas_app and sets the caller itself (both revert when the statement ends).
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
