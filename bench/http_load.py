"""HTTP load on loopback: caseworkers (locust) against gunicorn, stepped up, on the dataset.

    .venv/bin/python bench/http_load.py --reuse
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench | sqlite:///path.sqlite3]
        [--cases 10000] [--steps 2,4,8,16] [--warmup 10] [--measure 30] [--workers 4]
        [--cases-per-user 20] [--port 8765] [--profile]

Uses the synthetic national dataset (bench/dataset.py; --reuse one loaded there before, or
--cases to load it here). Its first caseworkers get a password and an authenticator app
(a TOTP secret new each run), the first --cases-per-user of each one's cases their
obligations derived (duties.services.recompute, on the ledger as after a profile change).
Then gunicorn serves Qorgau with its production settings (keys from the environment, kept
in data/bench/http-load/; static files collected and served by whitenoise) on 127.0.0.1
with the deployment unit's options (deploy/systemd/qorgau-web.service: --preload,
--max-requests, MALLOC_MMAP_THRESHOLD_) and --workers sync workers, and locust
(bench/locustfile.py, headless, one process) runs:

1. the baseline: anonymous visitors asking for a static file and the login page;
2. each step of --steps caseworkers, who log in (password, then the code) and stay: case
   list, case pages, Needs action, duties and risk pages, a timeline event recorded
   through its form (GET, then POST with the CSRF token), now and then an exhibit uploaded.

Production settings, not development or test: test makes new keys in every process (each
gunicorn worker would have its own SECRET_KEY and data key) and hashes passwords with MD5;
development leaves cookies unsecured. The one stand-in: no TLS on loopback, so locust sends
what the TLS proxy in front of gunicorn would (X-Forwarded-Proto: https, which Django
trusts by SECURE_PROXY_SSL_HEADER; X-Forwarded-For with an address of each user's own, by
which the login limits count) and the browser's Referer, and sends the Secure
__Host- cookies over loopback's plain HTTP.

Every user waits 0.2-0.8 s between requests. A stage's first --warmup seconds (logins,
spawning) are not measured; requests/s, p50 and p95 are over the --measure seconds after,
errors over the whole stage. Load generator and server share the machine's cores.
The background worker (`db_worker`, as qorgau-worker.service runs it) runs beside them: the
recounts that event writes queue are done on the same cores. After the last step the CPU
each part used in its measured seconds is printed (per request, and how busy the cores
were). Afterwards `verify` runs on every case the caseworkers wrote to. gunicorn and locust are
stopped on exit, also on Ctrl-C or a failure.

--profile: py-spy (in the bench extra) samples gunicorn's workers during the last step's
measured seconds; the functions where their time goes are printed after the figures (the
sampling costs CPU too: take the figures from a run without it).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402
from webform import LOGIN  # noqa: E402

BIN = Path(sys.executable).parent
WORK = ROOT / "data" / "bench" / "http-load"
UNIT = ROOT / "deploy" / "systemd" / "qorgau-web.service"


@dataclass(frozen=True)
class Stage:
    kind: str  # baseline or caseworkers
    users: int
    warmup: float
    measure: float


@dataclass(frozen=True)
class Figures:
    stage: Stage
    requests: int  # measured, logins excluded
    rps: float
    p50: float
    p95: float
    errors: int  # the whole stage, logins included
    messages: list[tuple[str, int]]
    by_name: dict[str, tuple[int, float, float]]  # name: (requests, p50, p95)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0


def summarise(records: list[list[Any]], stages: list[Stage]) -> list[Figures]:
    """Per stage, from locust's records (done at s, name, ms, failed, error)."""
    out = []
    start = 0.0
    for stage in stages:
        measured_from, end = start + stage.warmup, start + stage.warmup + stage.measure
        mine = [r for r in records if start <= r[0] < end]
        timed = [r for r in mine if r[0] >= measured_from and not r[1].startswith(LOGIN)]
        failed = [r for r in mine if r[3]]
        names: dict[str, list[float]] = {}
        for r in timed:
            names.setdefault(r[1], []).append(r[2])
        times = [r[2] for r in timed]
        out.append(Figures(
            stage, len(timed), len(timed) / stage.measure, percentile(times, 0.5),
            percentile(times, 0.95), len(failed),
            Counter(r[4] for r in failed).most_common(5),
            {n: (len(v), percentile(v, 0.5), percentile(v, 0.95))
             for n, v in sorted(names.items())}))
        start = end
    return out


# --- the server's environment --------------------------------------------------------------


def unit_environment() -> dict[str, str]:
    """The unit's Environment= settings (not its EnvironmentFile: the keys come from here)."""
    found: dict[str, str] = {}
    for line in UNIT.read_text().splitlines():
        if line.startswith("Environment="):
            for word in shlex.split(line.split("=", 1)[1]):
                name, _, value = word.partition("=")
                found[name] = value
    return found


def unit_options() -> list[str]:
    """gunicorn's options in the unit's ExecStart, without --bind and the access log."""
    text = UNIT.read_text().replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    words = shlex.split(line.split("=", 1)[1])
    words = words[words.index("qorgau.wsgi") + 1:]
    options: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in ("--bind", "--access-logfile"):
            skip = True
            continue
        options.append(word)
    return options



def _kept(name: str, make: Any) -> str:
    """A key kept in WORK (so later runs, and exhibits stored by earlier ones, agree)."""
    path = WORK / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def production_environment(url: str) -> None:
    """QORGAU_ENV=production with every key from the environment, as a deployment runs;
    the data keys are the dataset's (bench/dataset.py keeps them in data/bench/)."""
    from qorgau.keys import age_public_key, new_age_identity, new_signing_key_pem

    WORK.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["QORGAU_ENV"] = "production"
    dataset.prepare_environment(url)  # DATABASE_URL and QORGAU_DATA_KEYS
    os.environ.update(
        QORGAU_DATA_DIR=str(WORK), DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
        SECRET_KEY=_kept("secret_key", lambda: secrets.token_urlsafe(50)),
        QORGAU_SIGNING_KEY=_kept("signing_key.pem", new_signing_key_pem),
        QORGAU_EVIDENCE_KEYS=_kept("evidence_keys", new_age_identity),
        QORGAU_BACKUP_RECIPIENTS=age_public_key(_kept("backup_identity", new_age_identity)),
    )


def prepare_accounts(count: int, per_user: int) -> list[dict[str, Any]]:
    """The first `count` dataset caseworkers with open cases, able to log in; their
    working cases."""
    from qorgau.accounts.models import User
    from qorgau.accounts.services import enrol_totp
    from qorgau.cases.models import Case
    from qorgau.duties import services as duties

    accounts: list[dict[str, Any]] = []
    for i in range(dataset.ORGANISATIONS):
        if len(accounts) == count:
            break
        user = User.objects.get(email=f"caseworker{i}@dataset.test")
        cases = list(Case.objects.filter(assignments__user=user, status=Case.Status.OPEN)
                     .select_related("organisation").order_by("pk")[:per_user])
        if not cases:
            continue
        password = secrets.token_urlsafe(16)
        user.set_password(password)
        user.save(update_fields=["password"])
        totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
        enrol_totp(user, totp_secret)
        for case in cases:
            duties.recompute(case)
        accounts.append({"email": user.email, "password": password,
                         "totp_secret": totp_secret, "cases": [c.reference for c in cases]})
    if len(accounts) < count:
        raise SystemExit(f"{len(accounts)} caseworkers have open cases, {count} needed: "
                         "load a larger dataset")
    return accounts


# --- processes -----------------------------------------------------------------------------


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """In a session of its own, so that stopping it stops its children (gunicorn's workers)."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_ready(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text()}")
        request = urllib.request.Request(f"{base}/accounts/login/",  # noqa: S310  # nosec B310
                                         headers={"X-Forwarded-Proto": "https"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def _on_term(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# --- the run -------------------------------------------------------------------------------


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--jobs", type=int, default=2, help="processes building the dataset")
    parser.add_argument("--steps", default="2,4,8,16", help="caseworkers in each step")
    parser.add_argument("--baseline-users", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=10, help="seconds, not measured")
    parser.add_argument("--measure", type=float, default=30, help="seconds measured")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="gunicorn sync workers (docs/operations.md: 2 x cores)")
    parser.add_argument("--cases-per-user", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", action="store_true",
                        help="sample the workers with py-spy during the last step")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    stages = [Stage("baseline", args.baseline_users, 5, args.measure)] + [
        Stage("caseworkers", n, args.warmup, args.measure) for n in steps]
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored

    production_environment(args.database)
    dataset.open_database(args)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from qorgau.cases.models import Case
    from qorgau.cases.verification import verify_case

    dataset.load_unless_reused(args)
    started = time.perf_counter()
    accounts = prepare_accounts(max(steps), args.cases_per_user)
    print(f"{len(accounts)} caseworkers, {args.cases_per_user} working cases each "
          f"(obligations derived in {time.perf_counter() - started:.0f} s)")
    call_command("collectstatic", "--noinput", verbosity=0)
    cache.clear()  # login limits and used codes of earlier runs
    connection.close()

    plan, records_file = WORK / "plan.json", WORK / "records.json"
    plan.write_text(json.dumps({"accounts": accounts, "stages": [vars(s) for s in stages]}))
    plan.chmod(0o600)
    records_file.unlink(missing_ok=True)
    Path(f"{records_file}.started").unlink(missing_ok=True)
    os.environ.update(QORGAU_LOAD_PLAN=str(plan), QORGAU_LOAD_RECORDS=str(records_file))
    base = f"http://127.0.0.1:{args.port}"
    total = sum(s.warmup + s.measure for s in stages)
    load_before = os.getloadavg()
    when = datetime.now(UTC)
    server = load = spy = worker = None
    try:
        options = unit_options()  # as the deployment runs it, with --workers as asked
        options[options.index("--workers") + 1] = str(args.workers)
        os.environ.update(unit_environment())
        server = start([str(BIN / "gunicorn"), "qorgau.wsgi", *options,
                        "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning"],
                       WORK / "gunicorn.log")
        wait_ready(server, base, WORK / "gunicorn.log")
        # the background worker beside it, as qorgau-worker.service runs it: the recounts
        # that event writes queue are done on the same cores
        worker = start([str(BIN / "python"), "manage.py", "db_worker", "--no-reload",
                        "--interval", "2"], WORK / "worker.log")
        print(f"gunicorn: {args.workers} workers on {base}; locust: {total:.0f} s "
              f"({when:%Y-%m-%d %H:%M} UTC, load average {load_before[0]:.1f})", flush=True)
        load = start([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
                      "--headless", "--host", base, "--only-summary", "--loglevel", "WARNING",
                      "--csv", str(WORK / "locust")], WORK / "locust.log")
        begun = Path(f"{records_file}.started")
        while not begun.exists() and load.poll() is None:
            time.sleep(0.1)
        time.sleep(total - stages[-1].measure)
        cpu_before = cpu_ticks(server.pid, load.pid, worker.pid)
        if args.profile:
            spy = start([str(BIN / "py-spy"), "record", "--pid", str(server.pid),
                         "--subprocesses", "--nonblocking", "--nolineno", "--rate", "50",
                         "--format", "raw", "--duration", str(int(stages[-1].measure)),
                         "--output", str(WORK / "profile.txt")], WORK / "py-spy.log")
        time.sleep(stages[-1].measure)
        cpu_after = cpu_ticks(server.pid, load.pid, worker.pid)
        try:
            load.wait(timeout=total + 60)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"locust still running after {total + 60:.0f} s") from None
    finally:
        for process in (load, server, spy, worker):
            if process is not None:
                stop(process)
    load_after = os.getloadavg()
    if not records_file.exists():
        raise SystemExit(f"locust wrote no records:\n{(WORK / 'locust.log').read_text()}")
    figures = summarise(json.loads(records_file.read_text()), stages)
    report(figures, load_after)
    cpu_report(cpu_before, cpu_after, figures[-1])
    if args.profile:
        profile_report(WORK / "profile.txt")

    written = Case.objects.filter(reference__in={r for a in accounts for r in a["cases"]})
    problems = [r for r in (verify_case(c.pk, c.reference) for c in written) if r.problem]
    print(f"verify: the {written.count()} working cases, "
          f"{'all intact' if not problems else f'{len(problems)} FAILED: {problems[:3]}'}")
    if problems:
        raise SystemExit(1)


def report(figures: list[Figures], load_after: tuple[float, float, float]) -> None:
    baseline = figures[0]
    print("\n| stage | users | requests | req/s | p50 ms | p95 ms | errors | "
          "p50 / baseline | p95 / baseline |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in figures:
        print(f"| {f.stage.kind} | {f.stage.users} | {f.requests} | {f.rps:.1f} | "
              f"{f.p50:.0f} | {f.p95:.0f} | {f.errors} | {f.p50 / baseline.p50:.1f}x | "
              f"{f.p95 / baseline.p95:.1f}x |")
    clean = [f for f in figures[1:] if f.errors == 0 and f.requests]
    if clean:
        best = max(clean, key=lambda f: f.rps)
        print(f"\nhighest rate with zero errors: {best.rps:.1f} req/s at {best.stage.users} "
              f"caseworkers, p95 {best.p95:.0f} ms (baseline p95 {baseline.p95:.0f} ms)")
    else:
        best = figures[-1]
        print("\nno caseworker step was free of errors")
    print(f"\n{best.stage.users} caseworkers, by request (and the baseline's):")
    print("| request | requests | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for name, (n, p50, p95) in [*best.by_name.items(), *baseline.by_name.items()]:
        print(f"| {name} | {n} | {p50:.0f} | {p95:.0f} |")
    for f in figures:
        for message, n in f.messages:
            print(f"errors, {f.stage.kind} {f.stage.users}: {n} x {message}")
    print(f"load average after: {load_after[0]:.1f}")


def cpu_ticks(server: int, load: int, worker: int = -1) -> dict[str, int]:
    """CPU time (clock ticks, user + system) used so far by gunicorn, locust and the task
    worker (each by its process group) and PostgreSQL's processes, and by the whole machine
    (/proc/stat), with the machine's idle time."""
    found = {"gunicorn": 0, "locust": 0, "task worker": 0, "postgres": 0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # its own time and its children's that have ended (PostgreSQL's backends end
        # with their connection; the postmaster counts them)
        pgid, used = int(fields[2]), sum(int(v) for v in fields[11:15])
        group = ("gunicorn" if pgid == server else "locust" if pgid == load
                 else "task worker" if pgid == worker
                 else "postgres" if comm.startswith(("postgres", "postmaster")) else "")
        if group:
            found[group] += used
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    found["machine busy"] = sum(cpu) - cpu[3] - cpu[4]  # all but idle and iowait
    found["machine idle"] = cpu[3] + cpu[4]
    return found


def cpu_report(before: dict[str, int], after: dict[str, int], last: Figures) -> None:
    """Where the cores went during the last step's measured seconds: CPU per request of
    each part, and how busy the machine was (a rate cannot rise past busy cores)."""
    hz = os.sysconf("SC_CLK_TCK")
    cores = os.cpu_count() or 1
    seconds = last.stage.measure
    used = {k: (after[k] - before[k]) / hz for k in after}
    used["everything else"] = used["machine busy"] - sum(
        used[k] for k in ("gunicorn", "task worker", "postgres", "locust"))
    print(f"\nCPU during the {last.stage.users}-caseworker step's {seconds:.0f} measured s "
          f"({cores} cores, {last.requests} requests):")
    print("| part | CPU s | cores busy | CPU ms per request |")
    print("|---|---|---|---|")
    for part in ("gunicorn", "task worker", "postgres", "locust", "everything else",
                 "machine busy"):
        print(f"| {part} | {used[part]:.1f} | {used[part] / seconds:.2f} | "
              f"{1000 * used[part] / max(1, last.requests):.1f} |")
    share = used["machine busy"] / max(1e-9, used["machine busy"] + used["machine idle"])
    print(f"machine busy {100 * share:.0f}% of {cores} cores; at this CPU per request the "
          f"cores serve at most {last.requests / max(1e-9, used['machine busy']) * cores:.1f} "
          f"req/s")


def profile_report(path: Path, top: int = 25) -> None:
    """Share of the workers' samples in each function (anywhere on the stack), from
    py-spy's collapsed stacks; the project's own functions and the heaviest others."""
    if not path.exists():
        print(f"no profile: {(WORK / 'py-spy.log').read_text()}")
        return
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f.strip().replace(f"{ROOT}/", "") for f in stack.split(";")]
        if not any("wsgi" in f or "handle_request" in f for f in frames):
            continue  # the master, or a worker waiting for a request
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        print("no profile samples")
        return
    print(f"\nprofile of the workers, last step ({total} samples while serving):")
    print("| function (anywhere on the stack) | share |")
    print("|---|---|")
    shown = [(f, n) for f, n in inclusive.most_common() if "qorgau/" in f][:top]
    for frame, n in shown:
        print(f"| {frame} | {n / total:.0%} |")
    print("| function (on top of the stack) | share |")
    print("|---|---|")
    for frame, n in own.most_common(12):
        print(f"| {frame} | {n / total:.0%} |")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit("interrupted (gunicorn and locust stopped)") from None
