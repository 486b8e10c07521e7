-- Wakes the workers of every replica when a job is written or rescheduled: each listens on
-- `pimbot_jobs` (src/store/postgres.rs), so a job made runnable on one replica starts on
-- another within milliseconds instead of at its next poll. One notification per statement;
-- PostgreSQL delivers it at commit and folds repeats within a transaction. Claiming a job
-- (which sets `locked_by`, not `run_at`) notifies nobody.
CREATE FUNCTION jobs_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('pimbot_jobs', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_notify
    AFTER INSERT OR UPDATE OF run_at ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();
