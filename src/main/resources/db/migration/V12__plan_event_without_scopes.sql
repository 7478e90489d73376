-- The plan event stream, which every plan reader gets, carries no principal's grant: the creator's
-- scopes stay on the plan's row and in the hash chain's PLAN_CREATED event, which only auditors
-- read. Events stored before this release carried them; they lose that member here (the others
-- are kept; jsonb writes them again in its own order).
UPDATE plan_event SET data = (data::jsonb - 'scopes')::text
WHERE kind = 'plan' AND (data::jsonb -> 'scopes') IS NOT NULL;
