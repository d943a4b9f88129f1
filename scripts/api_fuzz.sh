#!/usr/bin/env bash
# Fuzz the API with schemathesis against a live server on loopback, on a throwaway SQLite
# database under data/ (never the test databases). Fails on any 5xx, undocumented status
# or body that does not fit the OpenAPI schema. QORGAU_FUZZ_EXAMPLES bounds the test cases
# per operation (default 15).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# A free port unless told: with a fixed one, a server already there (another run's) would
# be the one fuzzed, with a token it does not know.
PORT=${QORGAU_FUZZ_PORT:-$($BIN/python -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
DATA="$PWD/data/api-fuzz"
rm -rf "$DATA"
mkdir -p "$DATA"
export QORGAU_ENV=development QORGAU_DATA_DIR="$DATA" QORGAU_API_RATE_PER_MINUTE=1000000
unset DATABASE_URL DEBUG

$BIN/python manage.py migrate --noinput -v0 || exit 1
# What the setup made (a case, its records, a token...): QORGAU_FUZZ_REF and the like, which
# scripts/schemathesis.toml hands to the operations that need them.
setup=$($BIN/python scripts/api_fuzz_setup.py 2>"$DATA/setup.log") || {
  cat "$DATA/setup.log"; exit 1; }
while IFS='=' read -r name value; do
  export "QORGAU_FUZZ_$name=$value"
done <<<"$setup"
# The config is a template: its QORGAU_FUZZ_ placeholders are filled in here (ids as numbers).
config="$DATA/schemathesis.toml"
$BIN/python -c 'import os, re, sys
sys.stdout.write(re.sub(r"\$\{(QORGAU_FUZZ_\w+)\}", lambda m: os.environ[m[1]], sys.stdin.read()))' \
  <scripts/schemathesis.toml >"$config" || exit 1

$BIN/python manage.py runserver "127.0.0.1:$PORT" --noreload --skip-checks \
  >"$DATA/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT

log="$DATA/schemathesis.log"
$BIN/schemathesis --config-file "$config" run \
  "http://127.0.0.1:$PORT/api/v1/openapi.json" --wait-for-schema 30 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${QORGAU_FUZZ_EXAMPLES:-15}" --workers 1 --seed 1 --no-color \
  2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if ! kill -0 "$server" 2>/dev/null; then
  echo "the server under test was not running:"; tail -5 "$DATA/server.log"; rc=1
fi
cases=$(grep -A1 '^Test cases:' "$log" | grep -oE '[0-9]+ generated' | grep -oE '[0-9]+' | tail -1)
echo "schemathesis ran ${cases:-an unknown number of} test cases"
if grep -q "Traceback" "$DATA/server.log"; then
  echo "the server logged an error:"; grep -A20 "Traceback" "$DATA/server.log" | head -40
  rc=1
fi
exit "$rc"
