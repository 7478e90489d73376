-- A plan runs with its creator's scopes as they were at creation: the grant is kept with the plan,
-- re-checked at start, and carried by every operation the plan runs.
ALTER TABLE plan
    ADD COLUMN creator_scopes text,
    ADD CONSTRAINT ck_plan_creator_scopes CHECK (creator_scopes IS NULL OR jsonb_typeof(creator_scopes::jsonb) = 'object');

COMMENT ON COLUMN plan.creator_scopes IS
    'Canonical JSON of the creator''s scopes at creation ({} = unrestricted); NULL for plans created before scopes existed';
