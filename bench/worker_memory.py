"""Memory of a gunicorn worker, steady and at its peak while people log in, against a bare
Django worker measured in the same run.

    .venv/bin/python bench/worker_memory.py --reuse
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench] [--cases 10000]
        [--clients 6] [--logins 3] [--requests 60] [--port 8766] [--no-preload-compare]
        [--server-venv DIR]

gunicorn is started on 127.0.0.1 with the deployment's own options, read from the ExecStart
line of deploy/systemd/qorgau-web.service (workers, timeouts, --max-requests and its jitter,
--preload if the unit has it; only --bind is changed) and its Environment= lines (the
allocator's settings), and the production settings (keys
from the environment, as bench/http_load.py sets them), by this environment's gunicorn or,
with --server-venv, by that of a deployment's own install (requirements/run.txt only: a
development environment holds packages that Django and jsonschema import when present,
Jinja2 and jsonschema's format checkers). Then, for each server in turn:

1. the baseline: bench/bare_wsgi.py (Django, psycopg, one query and a template) under the
   same options, --requests requests per client;
2. Qorgau as the unit runs it; and, unless --no-preload-compare, Qorgau with the other
   choice of --preload (with it if the unit has not, without it if it has);

--clients threads each log in --logins times as a different caseworker (password, then
the authenticator's code: Argon2 and TOTP as in production) and make --requests requests
after each login: case list, case pages, Needs action, duties and risk pages, and every
tenth an event recorded through its form. Every worker's memory is read from
/proc/PID/smaps_rollup every 0.1 s: RSS (resident), PSS (shared pages split between the
processes sharing them: what a worker adds to the machine) and USS (private pages: what
its end would free). Steady: each worker at rest after the load. Peak: each worker's
highest, also while a login was in flight. Some of the caseworkers' passwords are hashed
with Django's default Argon2 parameters (as before issue 30; every --old-every-th): their
login verifies and upgrades them to the configured parameters, which the run checks; the
peak while such a login is in flight is shown apart.

Also timed in this process: one password hash with the configured hasher and with Django's
default Argon2 parameters.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402
import http_load  # noqa: E402
from webform import Forms, totp  # noqa: E402

UNIT = http_load.UNIT
PROXY = {"X-Forwarded-Proto": "https"}
MB = 1024 * 1024
SERVER_BIN = http_load.BIN  # whose gunicorn serves (--server-venv)


unit_environment = http_load.unit_environment
unit_options = http_load.unit_options


# --- memory ---------------------------------------------------------------------------------


def workers(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def memory(pid: int) -> tuple[int, int, int] | None:
    """(RSS, PSS, USS) in bytes, from smaps_rollup."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kb = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+):\s+(\d+) kB", text, re.M)}
    return (kb["Rss"] * 1024, kb["Pss"] * 1024,
            (kb["Private_Clean"] + kb["Private_Dirty"]) * 1024)


@dataclass
class Sampler:
    master: int
    logins: list[int] = field(default_factory=lambda: [0, 0])  # in flight: new, old hashes
    peak: dict[int, list[int]] = field(default_factory=dict)  # pid: [rss, pss, uss]
    login_peak: dict[int, list[int]] = field(default_factory=dict)  # new hashes only
    old_login_peak: dict[int, list[int]] = field(default_factory=dict)  # an old one too
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            new, old = self.logins
            tables = [self.peak]
            if old:
                tables.append(self.old_login_peak)
            elif new:
                tables.append(self.login_peak)
            for pid in workers(self.master):
                found = memory(pid)
                if found is None:
                    continue
                for table in tables:
                    was = table.setdefault(pid, [0, 0, 0])
                    table[pid] = [max(a, b) for a, b in zip(was, found, strict=True)]
            time.sleep(0.1)


def database_connections(pid: int, port: int) -> int:
    """TCP connections of `pid` to `port` (PostgreSQL's): a preloading master must hold
    none, or its workers would share one connection's socket."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                  if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    except OSError:
        return -1
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                found += 1
    return found


# --- the clients ----------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies (the __Host- ones sent over loopback as the TLS proxy would), no redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(policy)), _NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = dict(PROXY)
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Referer"] = f"https://{self.base.split('://', 1)[1]}{path}"
        request = urllib.request.Request(self.base + path, data=body,  # noqa: S310
                                         headers=headers)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers.get(
                "Location", "")

    def submit(self, path: str, page: str, field: str, values: dict[str, str]) -> tuple[int,
                                                                                          str]:
        fields = Forms(page).having(field)
        fields.update(values)
        status, _body, where = self.request(path, fields)
        return status, where


@dataclass
class Load:
    base: str
    accounts: list[dict[str, Any]]
    logins: int
    requests: int
    sampler: Sampler
    errors: list[str] = field(default_factory=list)
    login_seconds: list[float] = field(default_factory=list)
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)

    def login(self, browser: Browser, account: dict[str, Any]) -> bool:
        kind = 1 if account.get("old_hash") else 0
        with self.lock:
            self.sampler.logins[kind] += 1
        started = time.perf_counter()
        try:
            status, page, _ = browser.request("/accounts/login/")
            status, where = browser.submit("/accounts/login/", page, "login", {
                "login": account["email"], "password": account["password"]})
            if status != 302 or not where.startswith("/accounts/2fa/authenticate/"):
                self.fail(f"login: HTTP {status} to {where!r}")
                return False
            status, page, _ = browser.request("/accounts/2fa/authenticate/")
            if 30 - time.time() % 30 < 3:  # the code is about to change
                time.sleep(30 - time.time() % 30 + 0.1)
            status, where = browser.submit("/accounts/2fa/authenticate/", page, "code",
                                           {"code": totp(account["totp_secret"])})
            if status != 302:
                self.fail(f"second factor: HTTP {status} to {where!r}")
                return False
            with self.lock:
                self.login_seconds.append(time.perf_counter() - started)
            return True
        finally:
            with self.lock:
                self.sampler.logins[kind] -= 1

    def work(self, browser: Browser, cases: list[str], n: int) -> None:
        ref = cases[n % len(cases)]
        pages = ["/cases/", f"/cases/{ref}/", "/needs-action/", f"/cases/{ref}/duties/",
                 f"/cases/{ref}/risk/"]
        if n % 10 == 9:
            path = f"/cases/{ref}/events/new/"
            status, page, _ = browser.request(path)
            if status != 200:
                self.fail(f"event form: HTTP {status}")
                return
            status, where = browser.submit(path, page, "kind", {
                "kind": "police_report", "when_start": date.today().isoformat(),
                "source": "survivor", "reliability": "probable", "institution": "police",
                "narrative": "She reported the threat to the district police by phone."})
            if status != 302:
                self.fail(f"event create: HTTP {status} to {where!r}")
        else:
            path = pages[n % len(pages)]
            status, _page, where = browser.request(path)
            if status != 200:
                self.fail(f"{path}: HTTP {status} {where}")
        with self.lock:
            self.done += 1

    def client(self, first: int, stride: int) -> None:
        for k in range(self.logins):
            account = self.accounts[first + k * stride]
            browser = Browser(self.base)
            if not self.login(browser, account):
                continue
            for n in range(self.requests):
                self.work(browser, account["cases"], n)


def bare_load(base: str, clients: int, requests: int) -> tuple[int, list[str]]:
    errors: list[str] = []

    def client() -> None:
        browser = Browser(base)
        for _ in range(requests):
            status, _page, _ = browser.request("/")
            if status != 200:
                errors.append(f"bare: HTTP {status}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return clients * requests, errors


# --- one server -----------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    options: list[str]
    requests: int
    errors: list[str]
    steady: dict[int, tuple[int, int, int]]
    peak: dict[int, list[int]]
    login_peak: dict[int, list[int]]
    old_login_peak: dict[int, list[int]]
    master: tuple[int, int, int] | None
    login_seconds: list[float]
    master_connections: int


def serve(name: str, app: str, options: list[str], port: int, run: Any) -> Figures:
    log = http_load.WORK / f"worker-memory-{port}.log"
    server = http_load.start([str(SERVER_BIN / "gunicorn"), app, *options,
                              "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], log)
    base = f"http://127.0.0.1:{port}"
    try:
        http_load.wait_ready(server, base, log) if app == "qorgau.wsgi" else _wait_bare(
            server, base, log)
        deadline = time.monotonic() + 30
        expected = int(options[options.index("--workers") + 1])
        while len(workers(server.pid)) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        sampler = Sampler(server.pid)
        watcher = threading.Thread(target=sampler.run, daemon=True)
        watcher.start()
        requests, errors, login_seconds = run(base, sampler)
        sampler.stop.set()
        watcher.join()
        time.sleep(2)  # at rest
        steady = {pid: m for pid in workers(server.pid) if (m := memory(pid))}
        database_port = int(urllib.parse.urlsplit(os.environ["DATABASE_URL"]).port or 5432)
        return Figures(name, options, requests, errors, steady, sampler.peak,
                       sampler.login_peak, sampler.old_login_peak, memory(server.pid),
                       login_seconds,
                       database_connections(server.pid, database_port))
    finally:
        http_load.stop(server)


def _wait_bare(server: Any, base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:  # noqa: S310  # nosec B310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the bare worker did not answer:\n{log.read_text()}")


def _mb(values: list[int] | tuple[int, ...], at: int) -> str:
    return f"{values[at] / MB:.0f}"


def report(runs: list[Figures]) -> None:
    print("\n| server | options | requests | errors | steady RSS | steady PSS | steady USS "
          "| peak RSS | peak PSS | peak USS | peak USS, logins at the chosen Argon2 "
          "parameters | peak USS, a login at Django's default ones | master PSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in runs:
        def mean(table: Any, at: int) -> str:
            values = [m[at] for m in table.values()]
            return f"{statistics.mean(values) / MB:.0f}" if values else "-"

        def top(table: Any, at: int) -> str:
            values = [m[at] for m in table.values()]
            return f"{max(values) / MB:.0f}" if values else "-"

        extra = [o for o in f.options if o in ("--preload",)]
        print(f"| {f.name} | {' '.join(extra) or '-'} | {f.requests} | {len(f.errors)} | "
              f"{mean(f.steady, 0)} | {mean(f.steady, 1)} | {mean(f.steady, 2)} | "
              f"{top(f.peak, 0)} | {top(f.peak, 1)} | {top(f.peak, 2)} | "
              f"{top(f.login_peak, 2)} | {top(f.old_login_peak, 2)} | "
              f"{_mb(f.master, 1) if f.master else '-'} |")
    print("(MB; steady: mean over the workers at rest after the load; peak: the highest "
          "worker; master: gunicorn's own process)")
    for f in runs:
        print(f"{f.name} {' '.join(o for o in f.options if o == '--preload')}: the master "
              f"holds {f.master_connections} database connections")
        if f.login_seconds:
            print(f"{f.name}: {len(f.login_seconds)} logins (password and code), median "
                  f"{statistics.median(f.login_seconds) * 1000:.0f} ms, max "
                  f"{max(f.login_seconds) * 1000:.0f} ms")
        for error in sorted(set(f.errors))[:5]:
            print(f"  {f.name} error: {error} (x{f.errors.count(error)})")


def hash_times() -> None:
    from django.conf import settings
    from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher

    configured = get_hasher()
    for name, hasher in (("configured", configured), ("Django's default Argon2",
                                                      Argon2PasswordHasher())):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            hasher.encode("correct horse battery staple", hasher.salt())
            times.append(time.perf_counter() - started)
        params = {k: getattr(hasher, k, None) for k in ("time_cost", "memory_cost",
                                                        "parallelism")}
        print(f"password hash, {name} ({hasher.algorithm}, {params}): median "
              f"{statistics.median(times) * 1000:.0f} ms of 5")
    print(f"PASSWORD_HASHERS[0] = {settings.PASSWORD_HASHERS[0]}")


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--jobs", type=int, default=2, help="processes building the dataset")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--logins", type=int, default=3, help="logins per client")
    parser.add_argument("--requests", type=int, default=60, help="requests after each login")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--old-every", type=int, default=3, metavar="N",
                        help="every Nth caseworker's password hashed with Django's default "
                             "Argon2 parameters (0: none)")
    parser.add_argument("--no-preload-compare", action="store_true")
    parser.add_argument("--server-venv", type=Path, metavar="DIR",
                        help="serve with this virtual environment's gunicorn (a deployment's "
                             "own install, requirements/run.txt only); default: this one")
    args = parser.parse_args()
    if args.server_venv:
        global SERVER_BIN
        SERVER_BIN = args.server_venv.resolve() / "bin"
        if not (SERVER_BIN / "gunicorn").is_file():
            raise SystemExit(f"no gunicorn in {SERVER_BIN}: install requirements/run.txt there")

    http_load.production_environment(args.database)
    dataset.open_database(args)
    from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from qorgau.accounts.models import User

    dataset.load_unless_reused(args)

    def caseworkers() -> list[dict[str, Any]]:
        """New passwords and codes; half of them hashed as before issue 30."""
        accounts = http_load.prepare_accounts(args.clients * args.logins, 5)
        old = Argon2PasswordHasher()
        for account in accounts[::args.old_every] if args.old_every else []:
            account["old_hash"] = True
            User.objects.filter(email=account["email"]).update(
                password=old.encode(account["password"], old.salt()))
        cache.clear()  # login limits and used codes of earlier runs
        connection.close()
        return accounts

    def upgraded(accounts: list[dict[str, Any]]) -> str:
        olds = [a["email"] for a in accounts if a.get("old_hash")]
        users = User.objects.filter(email__in=olds)
        done = sum(not identify_hasher(u.password).must_update(u.password) for u in users)
        connection.close()
        return f"{done} of {len(olds)}"

    call_command("collectstatic", "--noinput", verbosity=0)
    cache.clear()
    hash_times()
    connection.close()

    options = unit_options()
    print(f"the unit's options: {' '.join(options)}")
    print("served by the gunicorn of " + (
        "--server-venv (a deployment's install)" if args.server_venv else "this environment"))
    other = ([o for o in options if o != "--preload"] if "--preload" in options
             else [*options, "--preload"])
    when, load_before = datetime.now(UTC), os.getloadavg()
    print(f"{when:%Y-%m-%d %H:%M} UTC, load average {load_before[0]:.1f}", flush=True)

    def qorgau_run(chosen: list[dict[str, Any]]) -> Any:
        def run(base: str, sampler: Sampler) -> tuple[int, list[str], list[float]]:
            load = Load(base, chosen, args.logins, args.requests, sampler)
            threads = [threading.Thread(target=load.client, args=(i, args.clients))
                       for i in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return load.done, load.errors, load.login_seconds
        return run

    def bare_run(base: str, sampler: Sampler) -> tuple[int, list[str], list[float]]:
        requests, errors = bare_load(base, args.clients, args.logins * args.requests)
        return requests, errors, []

    os.environ.update(unit_environment())
    print(f"the unit's environment: {unit_environment()}")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench"),
                                                os.environ.get("PYTHONPATH", "")])
    runs = [serve("bare Django", "bare_wsgi:application", options, args.port, bare_run)]
    upgrades = []
    for chosen in [options] if args.no_preload_compare else [options, other]:
        accounts = caseworkers()
        runs.append(serve("Qorgau", "qorgau.wsgi", chosen, args.port, qorgau_run(accounts)))
        upgrades.append(upgraded(accounts))
    report(runs)
    print(f"passwords stored with Django's default Argon2 parameters, upgraded at login: "
          f"{', '.join(upgrades)}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit("interrupted (gunicorn stopped)") from None
