#!/usr/bin/env bash
# Fault drill for a real installation (docs/operations.md, "Fault drill"): restarts
# PostgreSQL, kills the background worker and a web worker, fills PostgreSQL's connection
# limit, and prints after each what the users saw (the HTTP answers while it happened)
# and whether a task queued afterwards was run, and by which worker process.
#
# Run it as root on the server, at a quiet hour (users see a few 503s, "try again in a
# moment"; nothing is lost). Everything is set by the environment:
#   ENV_FILE     the installation's environment (/etc/qorgau/qorgau.env): DATABASE_URL, keys
#   QORGAU       the command (/opt/qorgau/venv/bin/qorgau), run as RUN_AS (qorgau)
#   PY           a Python with psycopg (/opt/qorgau/venv/bin/python)
#   URL          the web app as the proxy reaches it (http://127.0.0.1:8000)
#   HOST         the Host header to send (the first of ALLOWED_HOSTS)
#   PG_RESTART   how to restart PostgreSQL (systemctl restart postgresql)
#   WORKER_PID   prints the worker's process id (systemctl show -p MainPID --value qorgau-worker)
#   WEB_PID      prints gunicorn's master process id (systemctl show ... qorgau-web)
#   HOLD         seconds the connection limit is kept full (15)
#   STEPS        which steps, of: restart kill-worker kill-web connections (all four)
set -uo pipefail

ENV_FILE=${ENV_FILE-/etc/qorgau/qorgau.env}
if [[ -n $ENV_FILE && -r $ENV_FILE ]]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
fi
QORGAU=${QORGAU:-/opt/qorgau/venv/bin/qorgau}
RUN_AS=${RUN_AS-qorgau}
PY=${PY:-/opt/qorgau/venv/bin/python}
URL=${URL:-http://127.0.0.1:8000}
HOST=${HOST:-${ALLOWED_HOSTS%%,*}}
HOST=${HOST:-127.0.0.1}
PG_RESTART=${PG_RESTART:-systemctl restart postgresql}
WORKER_PID=${WORKER_PID:-systemctl show -p MainPID --value qorgau-worker}
WEB_PID=${WEB_PID:-systemctl show -p MainPID --value qorgau-web}
HOLD=${HOLD:-15}
STEPS=${STEPS:-restart kill-worker kill-web connections}
export URL HOST DATABASE_URL
FAILED=0

qorgau() {
    if [[ -n $RUN_AS && $(id -un) != "$RUN_AS" ]]; then
        runuser -u "$RUN_AS" --preserve-environment -- "$QORGAU" "$@"
    else
        "$QORGAU" "$@"
    fi
}

# What users see: every 0.2 s a request that needs the database (an API call with a token
# that does not exist, looked up: 401 when all is well) for SECONDS; the answers counted.
watch_users() {  # SECONDS OUTFILE
    "$PY" - "$1" >"$2" 2>&1 <<'EOF' &
import collections, os, sys, time, urllib.error, urllib.request
until = time.monotonic() + float(sys.argv[1])
seen, slowest, lines = collections.Counter(), 0.0, {}
while time.monotonic() < until:
    request = urllib.request.Request(os.environ["URL"].rstrip("/") + "/api/v1/cases", headers={
        "Host": os.environ["HOST"], "Authorization": "Bearer qg_faultdrill_notatoken"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError as error:
        status, body = "no answer", str(error).encode()
    slowest = max(slowest, time.monotonic() - started)
    seen[status] += 1
    lines.setdefault(status, body.decode(errors="replace").strip().replace("\n", " ")[:120])
    time.sleep(0.2)
print(f"    users saw {sum(seen.values())} answers, the slowest in {slowest:.1f} s:")
for status, count in sorted(seen.items(), key=lambda kv: str(kv[0])):
    print(f"      {count:4} x {status}  {lines[status]}")
EOF
}

# A task queued now: run within a minute? By which process?
probe_task() {
    qorgau shell -v0 -c '
import time
from django_tasks.base import TaskResultStatus
from qorgau.operations.tasks import probe
result, started = probe.enqueue(), time.monotonic()
while time.monotonic() - started < 60 and result.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
    time.sleep(0.5)
    result.refresh()
if result.status == TaskResultStatus.SUCCESSFUL:
    print(f"    a task queued now ran in {time.monotonic() - started:.1f} s, on {result.return_value}")
else:
    print(f"    FAILED: a task queued now is {result.status} after 60 s")
    raise SystemExit(1)
' || FAILED=1
}

pid_of() { bash -c "$1" 2>/dev/null | tr -d '[:space:]'; }

step() {  # TITLE, then the users watched for SECONDS while COMMAND runs
    local title=$1 seconds=$2 out
    shift 2
    out=$(mktemp)
    echo "== $title"
    watch_users "$seconds" "$out"
    local watcher=$!
    sleep 1
    "$@"
    wait "$watcher"
    cat "$out"
    if grep -Eq '^ +[0-9]+ x (50[0-24-9]|no answer) ' "$out"; then FAILED=1; fi
    rm -f "$out"
}

echo "Qorgau fault drill, $(date -u '+%F %H:%M UTC'), against $URL (Host: $HOST)"
echo "== before"
qorgau health | sed 's/^/    /' || FAILED=1
probe_task

for name in $STEPS; do
    case $name in
    restart)
        before=$(pid_of "$WORKER_PID")
        step "PostgreSQL restarted ($PG_RESTART)" 12 bash -c "$PG_RESTART"
        after=$(pid_of "$WORKER_PID")
        if [[ -n $before && $before == "$after" ]]; then
            echo "    the worker survived: the same process ($after)"
        else
            echo "    the worker did NOT survive: process $before, now ${after:-none}"
            FAILED=1
        fi
        probe_task
        ;;
    kill-worker)
        victim=$(pid_of "$WORKER_PID")
        step "the background worker killed (kill -9 $victim)" 10 kill -9 "$victim"
        sleep 5
        echo "    the worker is now process $(pid_of "$WORKER_PID")"
        probe_task
        ;;
    kill-web)
        master=$(pid_of "$WEB_PID")
        victim=$(pgrep -P "$master" | head -1)
        step "a web worker killed (kill -9 $victim, of gunicorn $master)" 8 kill -9 "$victim"
        ;;
    connections)
        holder=$(mktemp)
        fill() {
            "$PY" - "$HOLD" >"$holder" 2>&1 <<'EOF' &
import os, sys, time, psycopg
held = []
try:
    while len(held) < 10000:
        held.append(psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)))
except psycopg.OperationalError as error:
    print(f"    took {len(held)} connections; the next was refused: {str(error).split('FATAL:')[-1].strip()[:70]}")
sys.stdout.flush()
until = time.monotonic() + float(sys.argv[1])
while time.monotonic() < until:  # and every connection that frees up meanwhile
    try:
        held.append(psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)))
    except psycopg.OperationalError:
        time.sleep(0.05)
for conn in held:
    conn.close()
print(f"    held {len(held)}, released them after {sys.argv[1]} s")
EOF
            local filler=$!
            # The web workers' open connections carry on; a web worker started now (a
            # deploy, a crash) must get a new one: gunicorn restarts its workers.
            sleep 1
            kill -HUP "$(pid_of "$WEB_PID")"
            wait "$filler"
        }
        step "every connection PostgreSQL allows taken for $HOLD s, the web workers restarted" \
            $((HOLD + 6)) fill
        cat "$holder"
        rm -f "$holder"
        probe_task
        ;;
    *) echo "unknown step: $name" >&2; exit 2 ;;
    esac
done

echo "== after"
qorgau health | sed 's/^/    /' || FAILED=1
if ((FAILED)); then echo "DRILL FAILED: see above"; else echo "drill passed"; fi
exit "$FAILED"
