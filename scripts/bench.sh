#!/usr/bin/env bash
# Every benchmark in bench/, each printing its comparable figures.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in bench/*.py; do
    [ "$(basename "$script")" = "__init__.py" ] && continue
    .venv/bin/python "$script"
done
