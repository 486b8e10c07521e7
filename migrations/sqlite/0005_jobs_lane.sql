-- The lane a job runs in (src/service/jobs/lane.rs), derived from its kind by the database, so
-- that a claim of one lane reads the due jobs of that lane in `run_at` order and stops after the
-- few it takes. Claiming by `kind IN (…)` instead read every due job of those kinds (tens of
-- thousands of queued commands under load) and sorted them, holding the one writer connection
-- the acks wait for. A kind this version does not know (a newer one's) runs in the command lane,
-- where the claim parks what it cannot read. Jobs written by any version get their lane.
ALTER TABLE jobs ADD COLUMN lane TEXT GENERATED ALWAYS AS (
    CASE
        WHEN kind IN ('post_approval', 'update_approval', 'notify', 'notify_approvers',
                      'audit_line', 'warn_ending', 'approval_timeout') THEN 'chat'
        WHEN kind IN ('activate', 'follow_pim', 'deactivate', 'expire') THEN 'pim'
        ELSE 'command'
    END
) VIRTUAL;
CREATE INDEX jobs_lane_run_at_idx ON jobs (lane, run_at);
