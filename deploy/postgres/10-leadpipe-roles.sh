#!/bin/bash
# Runs once, when the PostgreSQL volume is first created (/docker-entrypoint-initdb.d), as the superuser that
# only the postgres container knows: three databases, each owned by its own non-superuser role.
#   airflow        the Airflow metadata DB          (scheduler, dag-processor, triggerer, api-server, init)
#   leadpipe       the leadpipe warehouse           (workers, the api-server's form webhook, init)
#   celery_results the Celery result store (role celery: workers, scheduler, flower)
# For a volume created before this script existed, run it by hand:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-leadpipe-roles.sh
set -euo pipefail
for spec in airflow:airflow:AIRFLOW_DB_PASSWORD leadpipe:leadpipe:WAREHOUSE_PASSWORD \
            celery:celery_results:CELERY_DB_PASSWORD; do
  IFS=: read -r role db password_env <<<"$spec"
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
       -v role="$role" -v db="$db" -v password_env="$password_env" -f /leadpipe-initdb/owned-database.sql
done
