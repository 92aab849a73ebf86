-- The SLA against reality: each item keeps when its slowest part can be delivered at the earliest (predicted at
-- filing from the tiers' retrieval times and the access procedure), and the custodian's pending proposal of a later
-- delivery due date, which the requester accepts (the due date moves) or declines (it stays).
ALTER TABLE request_items
    ADD COLUMN feasible_by          timestamptz,
    ADD COLUMN proposed_deliver_due timestamptz,
    ADD COLUMN proposed_by          text,
    ADD COLUMN proposed_at          timestamptz,
    ADD COLUMN proposal_reason      text,
    ADD CONSTRAINT request_items_proposal_complete CHECK (
        (proposed_deliver_due IS NULL AND proposed_by IS NULL AND proposed_at IS NULL AND proposal_reason IS NULL)
        OR (proposed_deliver_due > deliver_due AND proposed_by IS NOT NULL AND proposed_at IS NOT NULL
            AND length(btrim(proposal_reason)) > 0));

-- A moved delivery due date re-arms its reminder and escalation: the SLA job raises them again against the new date.
CREATE FUNCTION rearm_delivery_events() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM sla_events WHERE item_id = NEW.id AND event IN ('deliver.reminder', 'deliver.overdue');
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION rearm_delivery_events() FROM PUBLIC;
CREATE TRIGGER request_items_due_moved AFTER UPDATE OF deliver_due ON request_items
    FOR EACH ROW WHEN (NEW.deliver_due IS DISTINCT FROM OLD.deliver_due) EXECUTE FUNCTION rearm_delivery_events();

-- Filing stores the prediction's earliest delivery with each item.
CREATE OR REPLACE FUNCTION file_request_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid, p_incident_reference text,
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
                               acknowledge_due, deliver_due, preserve_before, feasible_by, sla_from)
    SELECT x.id, (SELECT id FROM request), x.requester_org_id, x.custodian_org_id, x.source_ids, x.feasibility,
           x.acknowledge_due, x.deliver_due, x.preserve_before, x.feasible_by, p_filed_at + (x.acknowledge_due - p_filed_at) / 2
    FROM jsonb_to_recordset(p_items) AS x(id uuid, requester_org_id text, custodian_org_id text, source_ids uuid[],
                                          feasibility jsonb, acknowledge_due timestamptz, deliver_due timestamptz,
                                          preserve_before timestamptz, feasible_by timestamptz);
END $$;
