"""Tickets created through the REST API by concurrent clients, against `assistdesk serve`.

Creates a fresh PostgreSQL database, migrates it, seeds one plan, one customer with a
contract and an authorised contact, and an integration token (through the services);
starts `assistdesk serve` (gunicorn, gthread) on 127.0.0.1 against it; then CLIENTS
threads, each on one keep-alive connection, POST /api/v1/tickets (each with its own
Idempotency-Key, as an integration should) for DURATION seconds or REQUESTS requests in
all, whichever comes first. Stops the server and drops the database at the end, also
on failure.

    .venv/bin/python bench/api_load.py [--clients 16] [--duration 10] [--requests 20000]

prints one line:
    api-create: N req/s, p95 X ms, errors E
(errors: anything but 201, or a failed connection). Goal on 2 cores: >= 200 req/s, 0 errors.
PG_URL (default postgres://postgres@127.0.0.1:5432) says where PostgreSQL is.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"

SEED = """
from datetime import timedelta
from decimal import Decimal
from assistdesk.api.tokens import api_token_create
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.common import clock
from assistdesk.contracts.services import contract_create
from assistdesk.customers.services import contact_create, customer_create

now = clock.now()
week = {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
spec = {
    "calendars": {"office": {"timezone": "Europe/Rome", "week": week,
                             "holidays": {"country": "IT"}}},
    "plans": [{
        "key": "annual", "currency": "EUR", "calendar": "office", "priority": 1,
        "minimum_minutes": 15,
        "rates": {"remote": {"activity": "support", "mode": "remote", "price": "45",
                             "per_minutes": 60, "round_to_minutes": 15}},
        "sla": [{"kind": "onsite", "urgent": True, "working_hours": 4},
                {"kind": "response", "urgent": False, "working_hours": 8}],
    }],
}
_, plans = catalog_load_from_spec(spec=spec, actor="bench", now=now)
customer = customer_create(key="bench", name="Bench S.p.A.", country="IT", currency="EUR",
                           vat_rate=Decimal("22"), actor="bench", now=now)
contract_create(customer=customer, plan=plans["annual"],
                start_on=(now - timedelta(days=30)).date(), actor="bench", now=now)
contact = contact_create(customer=customer, name="Anna", email="anna@bench.example",
                         is_authorised=True, actor="bench", now=now)
_, plaintext = api_token_create(name="bench", scopes="tickets:read,tickets:write",
                                actor="bench", now=now)
print(json.dumps({"token": plaintext, "requester": contact.pk}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def run_assistdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assistdesk.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"assistdesk {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not come up")


def load(
    port: int,
    token: str,
    requester: int,
    clients: int,
    duration: float,
    requests: int,
    keys: bool = True,
) -> tuple[int, float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    budget = iter(range(requests))
    start_gate = threading.Barrier(clients + 1)
    deadline = 0.0

    def client(n: int) -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Host": "localhost"}  # fmt: skip
        start_gate.wait()
        i = 0
        while time.monotonic() < deadline:
            with lock:
                if next(budget, None) is None:
                    break
            i += 1
            body = json.dumps({"customer": "bench", "requester": requester, "severity": 2,
                               "subject": f"Load {n}-{i}", "body": "Printer offline."})  # fmt: skip
            began = time.perf_counter()
            try:
                key = {"Idempotency-Key": f"{n}-{i}"} if keys else {}
                connection.request("POST", "/api/v1/tickets", body, headers | key)
                response = connection.getresponse()
                response.read()
                ok = response.status == 201
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            mine.append(time.perf_counter() - began)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + duration
    began = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return len(latencies), elapsed, latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--no-keys", action="store_true", help="send no Idempotency-Key (for comparison)"
    )
    options = parser.parse_args()

    name = f"assistdesk_bench_{os.getpid()}"
    admin = psycopg.connect(f"{PG_URL}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    server: subprocess.Popen[bytes] | None = None
    var = tempfile.TemporaryDirectory(prefix="assistdesk-bench-")
    try:
        port = free_port()
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"{PG_URL}/{name}",
            DB_CONN_MAX_AGE="60",  # keep-alive connections, as a deployment would
            ASSISTDESK_VAR_DIR=var.name,
            SECRET_KEY="bench-only-secret-key-" + "x" * 40,
            ALLOWED_HOSTS="localhost,127.0.0.1",
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="assistdesk.settings",
        )
        run_assistdesk(env, "migrate", "--noinput", "-v", "0")
        output = run_assistdesk(env, "shell", "-c", "import json\n" + SEED)
        seeded = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
        log = Path(var.name) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "assistdesk.cli", "serve", "--bind", f"{HOST}:{port}",
                 "--no-worker", "--no-scheduler", "--web-workers", str(options.web_workers),
                 "--threads", str(options.threads)],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        wait_until_up(port, server)
        count, elapsed, latencies, errors = load(
            port, seeded["token"], seeded["requester"], options.clients, options.duration,
            options.requests, keys=not options.no_keys,
        )  # fmt: skip
        latencies.sort()
        p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000 if latencies else 0.0
        made = (
            psycopg.connect(f"{PG_URL}/{name}")
            .execute("SELECT count(*) FROM tickets_ticket")
            .fetchone()
        )
        created = made[0] if made else 0
        print(f"api-create: {count / elapsed:.0f} req/s, p95 {p95:.1f} ms, errors {errors}")
        if created != count - errors:
            print(f"  (tickets in the database: {created}, successful requests: {count - errors})")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        var.cleanup()


if __name__ == "__main__":
    main()
