#!/usr/bin/env bash
# pytest twice: on SQLite (the embedded default) and on PostgreSQL (the scale-out path).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
mkdir -p test-artifacts
status=0

# Each pass gets a Redis database of its own for the Redis task-backend tests.
echo "== pytest on SQLite"
env -u DATABASE_URL REDIS_URL=${TEST_REDIS_URL_SQLITE:-redis://127.0.0.1:6379/14} $BIN/python -m pytest -q -p no:cacheprovider \
    --junitxml=test-artifacts/junit-sqlite.xml "$@" || status=1

echo "== pytest on PostgreSQL"
if $BIN/python -c "import psycopg, sys; psycopg.connect(sys.argv[1] + '/postgres', connect_timeout=5).close()" "$PG_URL" 2>/dev/null; then
    # A fresh database name per run; pytest-django creates test_<name> and drops it.
    db="assistdesk_$(date +%s)_$$"
    DATABASE_URL="$PG_URL/$db" REDIS_URL=${TEST_REDIS_URL_PG:-redis://127.0.0.1:6379/15} $BIN/python -m pytest -q -p no:cacheprovider \
        --junitxml=test-artifacts/junit-postgres.xml "$@" || status=1
else
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!! PostgreSQL is not reachable at $PG_URL: the PostgreSQL pass DID NOT RUN"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    if [ "${CI:-}" = "true" ]; then
        echo "CI=true: a missing PostgreSQL server is a failure"
        status=1
    fi
fi
exit $status
