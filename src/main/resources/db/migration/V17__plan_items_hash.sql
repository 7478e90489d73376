-- A plan's items alone, hashed without its name and maxConcurrency and whatever their order: a
-- rejected plan uploaded again (under another name, say) is shown to its approvers with the earlier
-- rejection (docs/plans.md, "Approval"). Null for the plans created before; it never changes.
ALTER TABLE plan ADD COLUMN items_hash text;
ALTER TABLE plan ADD CONSTRAINT ck_plan_items_hash CHECK (items_hash IS NULL OR items_hash ~ '^[0-9a-f]{64}$');
CREATE INDEX ix_plan_items_hash ON plan (items_hash) WHERE items_hash IS NOT NULL;

CREATE TRIGGER trg_plan_items_hash_immutable BEFORE UPDATE ON plan
    FOR EACH ROW
    WHEN (OLD.items_hash IS DISTINCT FROM NEW.items_hash)
    EXECUTE FUNCTION plan_content_forbid_change();

COMMENT ON COLUMN plan.items_hash IS 'sha256 hex of the direction and the items, sorted, without name and maxConcurrency (docs/plans.md); finds earlier rejections of the same items; never changes';
