-- The worker claims per lane (`kind IN (…)`, src/store/sql/jobs.rs): without this index a claim
-- in the chat lane read every due job in `run_at` order, thousands of queued commands, to find
-- none of its kinds, holding the one writer connection the acks wait for. `locked_until` makes
-- the index cover the claim's filter and the queue gauges' count, so neither reads job rows.
CREATE INDEX jobs_kind_run_at_idx ON jobs (kind, run_at, locked_until);
