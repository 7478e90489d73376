-- What was approved is what runs. A plan's content (its name, direction, maxConcurrency and items,
-- hashed into content_hash when it was created, the hash every approval names) and who created it
-- never change once stored: the application role may update a plan's and its items' progress, not
-- what they are, and may add no item to a plan after its creation. Only the schema owner can drop
-- these triggers. The start also hashes the stored items again and refuses on a difference
-- (docs/plans.md).

CREATE FUNCTION plan_content_forbid_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION '%: a plan''s content never changes once stored (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER trg_plan_content_immutable BEFORE UPDATE ON plan
    FOR EACH ROW
    WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.max_concurrency IS DISTINCT FROM NEW.max_concurrency
          OR OLD.content_hash IS DISTINCT FROM NEW.content_hash OR OLD.item_count IS DISTINCT FROM NEW.item_count
          OR OLD.approvals_required IS DISTINCT FROM NEW.approvals_required
          OR OLD.created_by IS DISTINCT FROM NEW.created_by
          OR OLD.created_auth_method IS DISTINCT FROM NEW.created_auth_method
          OR OLD.created_request_id IS DISTINCT FROM NEW.created_request_id
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.rollback_of IS DISTINCT FROM NEW.rollback_of
          OR OLD.creator_scopes IS DISTINCT FROM NEW.creator_scopes)
    EXECUTE FUNCTION plan_content_forbid_change();

CREATE TRIGGER trg_plan_item_content_immutable BEFORE UPDATE ON plan_item
    FOR EACH ROW
    WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id OR OLD.item_id IS DISTINCT FROM NEW.item_id
          OR OLD.datasource_id IS DISTINCT FROM NEW.datasource_id OR OLD.account_id IS DISTINCT FROM NEW.account_id
          OR OLD.catalog_name IS DISTINCT FROM NEW.catalog_name OR OLD.schema_name IS DISTINCT FROM NEW.schema_name
          OR OLD.table_name IS DISTINCT FROM NEW.table_name)
    EXECUTE FUNCTION plan_content_forbid_change();

-- Items are numbered from 1 to the plan's item_count at its creation (the primary key stops a
-- second item of a number), so no item can be added afterwards. Checked once per statement (a
-- plan's items are inserted in one), over the rows it inserted.
CREATE FUNCTION plan_item_guard_insert() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted_items i JOIN plan p ON p.plan_id = i.plan_id
               WHERE i.item_id NOT BETWEEN 1 AND p.item_count) THEN
        RAISE EXCEPTION 'plan_item: an item is outside its plan''s items; a plan''s content never changes once stored'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_plan_item_guard_insert AFTER INSERT ON plan_item
    REFERENCING NEW TABLE AS inserted_items
    FOR EACH STATEMENT EXECUTE FUNCTION plan_item_guard_insert();

CREATE TRIGGER trg_plan_item_forbid_delete BEFORE DELETE ON plan_item
    FOR EACH ROW EXECUTE FUNCTION plan_content_forbid_change();
