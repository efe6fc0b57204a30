#!/usr/bin/env bash
# Every benchmark in bench/, each printing its comparable figures; the ones whose goal
# holds on both databases run on SQLite and on PostgreSQL (a throw-away database each).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}

both() {
    echo "-- $1 on SQLite"
    env -u DATABASE_URL $PY "bench/$1"
    echo "-- $1 on PostgreSQL"
    DATABASE_URL="$PG_URL/assistdesk_bench_$(date +%s)_$$" $PY "bench/$1"
}

$PY bench/sla.py
both billing.py
env -u DATABASE_URL $PY bench/console_queue.py
PG_URL=$PG_URL $PY bench/api_load.py
both mail_ingest.py
env -u DATABASE_URL $PY bench/mail_faults.py
for script in bench/*.py; do
    case "$(basename "$script")" in
        sla.py|billing.py|console_queue.py|api_load.py|mail_ingest.py|mail_faults.py) ;;
        *) echo "-- $script"; $PY "$script" ;;
    esac
done
