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
