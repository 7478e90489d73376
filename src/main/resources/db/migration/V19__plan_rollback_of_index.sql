-- A migration plan's rollback plans are read whenever a rollback is refused or allowed
-- (PlanService: one rollback at a time, none while an earlier one runs) and on the plan's console
-- page; without an index each of those reads scanned every plan.
CREATE INDEX ix_plan_rollback_of ON plan (rollback_of, created_at) WHERE rollback_of IS NOT NULL;
