-- Who sends an item to Domo, and so whom its operation names as requestedBy: whoever started the
-- plan, unless a later resume released the items not yet sent or a retry released the item again;
-- then that person, whose scopes were checked for it (docs/plans.md, "Scopes").
ALTER TABLE plan_item ADD COLUMN released_by text;
ALTER TABLE plan_item ADD COLUMN released_auth_method text;
ALTER TABLE plan_item ADD CONSTRAINT ck_plan_item_released CHECK ((released_by IS NULL) = (released_auth_method IS NULL));

COMMENT ON COLUMN plan_item.released_by IS 'Who resumed the plan or retried the item before it was last sent (its operation''s requestedBy); NULL: the plan''s starter';
COMMENT ON COLUMN plan_item.released_auth_method IS 'How released_by authenticated (jwt, api-key, oidc)';
