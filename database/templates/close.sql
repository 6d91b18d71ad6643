-- Before the last base backup of a clean stop: no new connections to the
-- controller's database, and the open ones ended, so that every commit is in
-- that backup. bootstrap.sql opens it again on the next start.
\set ON_ERROR_STOP on
\getenv dbname DEIS_DATABASE_NAME
SELECT format('ALTER DATABASE %I ALLOW_CONNECTIONS false', :'dbname')
 WHERE EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
 WHERE datname = :'dbname' AND pid <> pg_backend_pid();
