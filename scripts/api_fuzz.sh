#!/usr/bin/env bash
# Fuzz the API with schemathesis against a live server on loopback, on a throwaway SQLite
# database under data/ (never the test databases). Fails on any 5xx, undocumented status
# or body that does not fit the OpenAPI schema. QORGAU_FUZZ_EXAMPLES bounds the test cases
# per operation (default 15).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${QORGAU_FUZZ_PORT:-8765}
DATA="$PWD/data/api-fuzz"
rm -rf "$DATA"
mkdir -p "$DATA"
export QORGAU_ENV=development QORGAU_DATA_DIR="$DATA" QORGAU_API_RATE_PER_MINUTE=1000000
unset DATABASE_URL DEBUG

$BIN/python manage.py migrate --noinput -v0 || exit 1
read -r ref party token < <($BIN/python scripts/api_fuzz_setup.py) || exit 1
export QORGAU_FUZZ_REF=$ref QORGAU_FUZZ_PARTY=$party QORGAU_FUZZ_TOKEN=$token

$BIN/python manage.py runserver "127.0.0.1:$PORT" --noreload --skip-checks \
  >"$DATA/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT

log="$DATA/schemathesis.log"
$BIN/schemathesis --config-file scripts/schemathesis.toml run \
  "http://127.0.0.1:$PORT/api/v1/openapi.json" --wait-for-schema 30 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${QORGAU_FUZZ_EXAMPLES:-15}" --workers 1 --seed 1 --no-color \
  2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
cases=$(grep -A1 '^Test cases:' "$log" | grep -oE '[0-9]+ generated' | grep -oE '[0-9]+' | tail -1)
echo "schemathesis ran ${cases:-an unknown number of} test cases"
if grep -q "Traceback" "$DATA/server.log"; then
  echo "the server logged an error:"; grep -A20 "Traceback" "$DATA/server.log" | head -40
  rc=1
fi
exit "$rc"
