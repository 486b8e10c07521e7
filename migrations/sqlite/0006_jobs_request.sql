-- The reconciliation sweep asks, for each request in a live state, whether any job of it is
-- queued (`stalled_requests`). Without an index on `request_id` that is a scan of the whole
-- queue per request: with a thousand pending requests and a few thousand queued jobs, millions
-- of rows read every sweep, and under a flood of commands a sweep that never ends. Partial, so
-- the jobs of no request (commands, audit lines: most of what the acks write) cost nothing more.
CREATE INDEX jobs_request_idx ON jobs (request_id) WHERE request_id IS NOT NULL;
