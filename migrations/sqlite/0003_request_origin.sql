-- What asked for a request (its command job, `job:<id>`): a job that runs twice, because its
-- worker lost the lease while it ran, finds the request it created the first time instead of
-- creating another. NULL for requests made before this column existed; NULLs never conflict.
ALTER TABLE requests ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX requests_origin_idx ON requests (origin);
