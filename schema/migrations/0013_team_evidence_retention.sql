-- A requesting team's own period for its evidence: between the request's own period and the service's default
-- (--evidence-retention-days), e.g. a subsidiary's team bound by a shorter data-protection agreement. Changes are
-- audited with the organisation (its update trigger); the period is not part of the inventory file.
ALTER TABLE orgs ADD COLUMN evidence_retention_days integer CHECK (evidence_retention_days BETWEEN 1 AND 3650);

-- The team's period as whoever reads one of its requests sees it (a custodian does not read the team's row).
CREATE FUNCTION team_evidence_retention_days(p_org text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT evidence_retention_days FROM orgs WHERE id = p_org
$$;
REVOKE ALL ON FUNCTION team_evidence_retention_days(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION team_evidence_retention_days(text) TO logatlas_app;

-- Set by the team's CSIRT members or an admin (Principal.mayGovernEvidence decides first; this is the second line),
-- without giving them UPDATE on the organisation's other fields. False when there is no such organisation.
CREATE FUNCTION set_team_evidence_retention(p_org text, p_days integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT (app_is_admin() OR (app_role() = 'csirt' AND p_org = ANY (app_orgs()))) THEN
        RAISE EXCEPTION 'only the team and admins set its evidence retention' USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE orgs SET evidence_retention_days = p_days WHERE id = p_org;
    RETURN FOUND;
END $$;
REVOKE ALL ON FUNCTION set_team_evidence_retention(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_team_evidence_retention(text, integer) TO logatlas_app;
