-- Create (or update) the controller's role and database. Run by psql as the
-- cluster's superuser; the values come from the environment so that the
-- password never appears on a command line.
\set ON_ERROR_STOP on
\getenv role DEIS_DATABASE_ROLE
\getenv password DEIS_DATABASE_PASSWORD
\getenv dbname DEIS_DATABASE_NAME
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'dbname', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec
-- A clean stop closed it (close.sql) so that its last backup missed no commit.
SELECT format('ALTER DATABASE %I ALLOW_CONNECTIONS true', :'dbname') \gexec
