#!/bin/sh
# Least-privilege roles for the scale-out mode, run once by the postgres image when its
# data volume is new (mounted into /docker-entrypoint-initdb.d/ by compose.yml).
#
#   conversations  database owned by clinic_rasa: the Rasa replicas (TRACKER_STORE_URL)
#   requests       database owned by clinic_leads: the action server (LEADS_DB_URL)
#   console        database owned by clinic_console: the staff console (CONSOLE_DB_URL)
#
# clinic_leads may also read, redact and delete conversations (retention, deleting a
# request with its conversation), but not create, alter or drop their table; clinic_rasa
# cannot connect to the requests at all. clinic_console has its own database (accounts,
# sessions, the audit log, statuses, labels); it may read and delete requests and record the
# retention purge it runs, and read and delete conversations, but never create, alter or
# drop their tables, change a request or a conversation, or add one. Neither other role can
# connect to the console's database. The superuser (POSTGRES_PASSWORD) is used by no
# service. Passwords come from the environment (deploy/.env) as psql variables, quoted by
# psql, never pasted into SQL. Tested on a real PostgreSQL: tests/test_deploy.py.
set -eu
: "${RASA_DB_PASSWORD:?set it in deploy/.env}" "${LEADS_DB_PASSWORD:?set it in deploy/.env}"
: "${CONSOLE_DB_PASSWORD:?set it in deploy/.env}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
     -v rasa_password="$RASA_DB_PASSWORD" -v leads_password="$LEADS_DB_PASSWORD" \
     -v console_password="$CONSOLE_DB_PASSWORD" <<'SQL'
CREATE ROLE clinic_rasa LOGIN PASSWORD :'rasa_password';
CREATE ROLE clinic_leads LOGIN PASSWORD :'leads_password';
CREATE ROLE clinic_console LOGIN PASSWORD :'console_password';
CREATE DATABASE conversations OWNER clinic_rasa;
CREATE DATABASE requests OWNER clinic_leads;
CREATE DATABASE console OWNER clinic_console;
REVOKE ALL ON DATABASE conversations FROM PUBLIC;
REVOKE ALL ON DATABASE requests FROM PUBLIC;
REVOKE ALL ON DATABASE console FROM PUBLIC;
GRANT CONNECT ON DATABASE conversations TO clinic_rasa, clinic_leads, clinic_console;
GRANT CONNECT ON DATABASE requests TO clinic_leads, clinic_console;
GRANT CONNECT ON DATABASE console TO clinic_console;

\connect conversations
ALTER SCHEMA public OWNER TO clinic_rasa;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Rasa creates its `events` table on first start, as clinic_rasa: grant on it in advance.
GRANT USAGE ON SCHEMA public TO clinic_leads, clinic_console;
ALTER DEFAULT PRIVILEGES FOR ROLE clinic_rasa IN SCHEMA public GRANT SELECT, UPDATE, DELETE ON TABLES TO clinic_leads;
ALTER DEFAULT PRIVILEGES FOR ROLE clinic_rasa IN SCHEMA public GRANT SELECT, DELETE ON TABLES TO clinic_console;

\connect requests
ALTER SCHEMA public OWNER TO clinic_leads;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- The action server creates the tables, as clinic_leads. The console reads and deletes
-- requests, and records the purge it runs (INSERT, for the retention_purge row).
GRANT USAGE ON SCHEMA public TO clinic_console;
ALTER DEFAULT PRIVILEGES FOR ROLE clinic_leads IN SCHEMA public GRANT SELECT, INSERT, DELETE ON TABLES TO clinic_console;

\connect console
ALTER SCHEMA public OWNER TO clinic_console;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
