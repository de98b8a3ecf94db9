-- One login role that owns one database and nothing else: no superuser, CREATEDB, CREATEROLE, replication or
-- row-level-security bypass, and no other role may connect to its database (CONNECT revoked from PUBLIC).
-- Run by the superuser, once per (role, database); safe to run again (an existing role gets the password and
-- attributes again, an existing database is left as it is):
--
--   psql -v ON_ERROR_STOP=1 -v role=leadpipe -v db=leadpipe -v password_env=WAREHOUSE_PASSWORD -f owned-database.sql
--
-- The password is read from the environment variable named by password_env (psql 15+ \getenv), so it never
-- appears on a command line.
\set ON_ERROR_STOP on
\set password ''
\getenv password :password_env
SELECT format('DO $refuse$ BEGIN RAISE EXCEPTION %L; END $refuse$',
              format('the environment variable %s is empty: set it in .env', :'password_env'))
 WHERE :'password' = '' \gexec
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
              :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
