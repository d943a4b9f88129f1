#!/usr/bin/env bash
# Static checks, then the whole test suite on SQLite and on PostgreSQL.
# PostgreSQL: $POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export QORGAU_ENV=test
unset DATABASE_URL QORGAU_DATA_KEYS SECRET_KEY
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
status=0

step() { printf '\n== %s\n' "$*"; }
step "ruff";          $BIN/ruff check . || status=1
step "mypy";          $BIN/mypy qorgau bench || status=1
step "import-linter"; $BIN/lint-imports || status=1
step "bandit";        $BIN/bandit -q -ll -r qorgau bench \
                        -x "$(find qorgau -type d \( -name tests -o -name e2e \) | paste -sd, -)" \
                        && echo "bandit: no medium or high findings" || status=1
step "migrations";    $BIN/python manage.py makemigrations --check --dry-run || status=1
step "translations";  $BIN/python scripts/check_messages.py || status=1
step "terminology";   $BIN/python scripts/check_terminology.py || status=1
[ "${1:-}" = "--checks-only" ] && exit $status

summaries=()
passed=0
failed=0
count() { grep -oE "[0-9]+ $1" <<<"$2" | grep -oE "^[0-9]+" || echo 0; }
logs=$(mktemp -d)
start_suite() {  # name, database url: runs in the background, output in $logs/<name>
  local name=$1 url=$2
  # A failing browser test leaves a screenshot in data/e2e-failures-<name>/.
  ( DATABASE_URL=$url QORGAU_DATA_DIR="$PWD/data/test-$name" $BIN/pytest -p no:randomly \
      --durations=10 --screenshot only-on-failure --full-page-screenshot \
      --output "$PWD/data/e2e-failures-$name" >"$logs/$name" 2>&1
    echo $? >"$logs/$name.rc" ) &
}
finish_suite() {  # name: print its output and count its summary line
  local name=$1 rc line
  step "pytest on $name"
  cat "$logs/$name"
  rc=$(cat "$logs/$name.rc")
  [ "$rc" -eq 5 ] && rc=0   # "no tests collected" is not a failure of the code
  [ "$rc" -ne 0 ] && status=1
  line=$(grep -E '^(=+ )?[0-9]+ (passed|failed)' "$logs/$name" | tail -1 | sed 's/=//g; s/^ *//; s/ *$//')
  summaries+=("$name: ${line:-no summary (exit $rc)}")
  passed=$((passed + $(count passed "$line")))
  failed=$((failed + $(count failed "$line") + $(count error "$line")))
}
# The two runs share nothing (own data directory, own database, free ports), so they run
# side by side: the machine's two cores finish both in about the time of the longer one.
step "pytest on sqlite and postgresql, side by side (each printed when both are done)"
start_suite sqlite "sqlite:///$PWD/data/test-sqlite/qorgau.sqlite3"
start_suite postgresql "$POSTGRES_URL"
wait
finish_suite sqlite
finish_suite postgresql
rm -rf "$logs"

# The development corpus: the share of documented state failures flagged never goes back.
step "corpus recall"
CORPUS_FLOOR=0.97
corpus_db="$PWD/data/corpus-recall"
rm -rf "$corpus_db" && mkdir -p "$corpus_db"
corpus_log=$(mktemp)
( export DATABASE_URL="sqlite:///$corpus_db/qorgau.sqlite3" QORGAU_DATA_DIR="$corpus_db"
  $BIN/python manage.py migrate -v0 --noinput \
    && $BIN/python manage.py corpus-recall corpus/ --min-recall "$CORPUS_FLOOR" ) 2>&1 | tee "$corpus_log"
corpus_rc=${PIPESTATUS[0]}
[ "$corpus_rc" -ne 0 ] && status=1
summaries+=("corpus trials: $(grep -E 'documented trial failures' "$corpus_log" | tail -1)")
summaries+=("corpus recall: $(grep -E 'documented failures' "$corpus_log" | tail -1)$(
  [ "$corpus_rc" -ne 0 ] && echo ' (FAILED)')")
rm -f "$corpus_log"

# The API fuzzed against its schema on a live loopback server (its own SQLite file in data/).
step "API fuzzing (schemathesis)"
fuzz_log=$(mktemp)
bash scripts/api_fuzz.sh 2>&1 | tee "$fuzz_log"
fuzz_rc=${PIPESTATUS[0]}
[ "$fuzz_rc" -ne 0 ] && status=1
summaries+=("api fuzz: $(grep -E '^schemathesis ran' "$fuzz_log" | tail -1)$(
  [ "$fuzz_rc" -ne 0 ] && echo ' (FAILED)')")
rm -f "$fuzz_log"

printf '\n'
printf '%s\n' "${summaries[@]}"
echo "total: $passed passed, $failed failed"
[ "$failed" -ne 0 ] && status=1
exit $status
