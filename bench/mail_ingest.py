"""Mail intake: N generated messages from a local IMAP mailbox into tickets and replies.

Builds a throw-away database (a temporary SQLite file; with DATABASE_URL pointing at a
PostgreSQL server, a fresh database created there and dropped afterwards), starts a
throw-away Dovecot (as the tests do), and generates N messages with the shared seeded
generator (`shared/bench/gen_emails.py`: 30 % replies that thread to the tickets opened
earlier in the run, auto-replies, bounces, monitoring alerts, malformed mail). Every
sender is an authorised contact of its domain's customer, under a contract with an SLA.
The messages are delivered to the mailbox (IMAP APPEND), then one `fetch_mailbox` run,
in a worker process of its own, is timed: fetch, parse, store, thread, open tickets or
add replies with their attachments, acknowledge (outbox) and mark seen. The result is
checked against the generator's manifest before anything is printed.

    .venv/bin/python bench/mail_ingest.py [--count N] [--profile]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/mail_ingest.py

prints one line:
    mail-ingest: N messages in S s, R msg/s, peak RSS M MiB
(peak RSS is the worker process's: Django and the intake, not the set-up).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistdesk.common.benchdb import throwaway_database

SEED = 20260414


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.count, profile=args.profile)
    with tempfile.TemporaryDirectory(prefix="assistdesk-mail-bench-") as folder:
        os.environ["ASSISTDESK_VAR_DIR"] = folder  # attachments land here
        os.environ["DEFAULT_FROM_EMAIL"] = "IT Helpdesk <support@helpdesk.example>"
        with throwaway_database() as url:
            os.environ["DATABASE_URL"] = url
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistdesk.settings")
            return run(args.count, Path(folder), profile=args.profile)


def run(count: int, folder: Path, *, profile: bool) -> int:
    """Prepare the database and the mailbox here; time the intake in a worker process of
    its own, as it runs in production (so its peak RSS is the worker's, not the setup's)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from assistdesk.channels.models import Mailbox
    from assistdesk.channels.testing.dovecot import ImapBox, start_dovecot
    from assistdesk.channels.testing.mailload import build_customers, generate, verdict
    from assistdesk.common import clock

    call_command("migrate", verbosity=0)
    mails = generate(count, folder, seed=SEED)
    build_customers(mails, now=clock.now())
    server = start_dovecot()
    try:
        ImapBox(server).append_many([m.raw for m in mails])
        Mailbox.objects.create(
            name="support", host=server.host, port=server.port, use_ssl=False,
            username=server.user, password=server.password,
        )  # fmt: skip
        connections.close_all()
        command = [sys.executable, __file__, "--worker", "--count", str(count)]
        done = subprocess.run(
            command + (["--profile"] if profile else []),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        server.stop()
    if done.returncode:
        print(f"mail-ingest: the worker failed:\n{done.stdout}\n{done.stderr}", file=sys.stderr)
        return 1
    if profile:
        print(done.stderr, file=sys.stderr)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    result = verdict(mails)
    if figures["errors"] or not result.ok or figures["stored"] != count:
        print(f"mail-ingest: FAILED {figures} {result.problems[:10]}", file=sys.stderr)
        return 1
    elapsed = figures["elapsed"]
    print(
        f"(worker CPU {figures['cpu']:.2f} s, {figures['cpu'] / count * 1000:.1f} ms/msg, "
        f"database server CPU {figures['server_cpu']:.2f} s; "
        f"peak RSS worker {figures['rss_mib']:.0f} MiB + "
        f"parser process {figures['children_rss_mib']:.0f} MiB)",
        file=sys.stderr,
    )
    # The peak RSS printed is the intake's whole: the worker and its parser process.
    print(
        f"mail-ingest: {count} messages in {elapsed:.2f} s, {count / elapsed:.0f} msg/s, "
        f"peak RSS {figures['rss_mib'] + figures['children_rss_mib']:.0f} MiB"
    )
    return 0


def _children_peak_rss_mib(stop: threading.Event, peaks: dict[int, float]) -> None:
    """Sample this process's children's peak RSS (the intake's parser process, and the
    resource tracker that multiprocessing starts with it)."""
    me = os.getpid()
    while not stop.wait(0.05):
        for tid in os.listdir(f"/proc/{me}/task"):
            try:
                with open(f"/proc/{me}/task/{tid}/children") as listing:
                    children = [int(pid) for pid in listing.read().split()]
            except OSError:
                continue
            for pid in children:
                try:
                    # Only the spawned processes: a child caught between fork and exec
                    # still shows this process's memory (and its command line).
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                        if b"multiprocessing" not in cmdline.read():
                            continue
                    peak = _vm_hwm_mib(f"/proc/{pid}/status")
                except OSError:
                    continue
                if peak is not None:
                    peaks[pid] = max(peaks.get(pid, 0), peak)


def peak_rss_mib() -> float:
    """This process's peak RSS. Not getrusage: on Linux its ru_maxrss survives execve, so
    a worker started by a big parent would report the parent's size at fork time."""
    peak = _vm_hwm_mib("/proc/self/status")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _vm_hwm_mib(status_path: str) -> float | None:
    """A process's peak resident memory (VmHWM) from its /proc status file."""
    with open(status_path) as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _database_server_pid() -> int | None:
    """The PostgreSQL backend serving this process's connection (None on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far; 0 for None."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(count: int, *, profile: bool) -> int:
    """The timed part: one `fetch_mailbox` of the prepared mailbox; figures as JSON."""
    import django

    django.setup()
    from assistdesk.channels import intake
    from assistdesk.channels.models import Mailbox
    from assistdesk.common import clock

    mailbox = Mailbox.objects.get(name="support")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    stop, children = threading.Event(), {}
    sampler = threading.Thread(target=_children_peak_rss_mib, args=(stop, children), daemon=True)
    sampler.start()
    server = _database_server_pid()
    server_cpu_started = _process_cpu(server)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = intake.fetch_mailbox(mailbox, now=clock.now(), limit=count)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    server_cpu = _process_cpu(server) - server_cpu_started
    stop.set()
    sampler.join()
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    figures = {
        "elapsed": elapsed,
        "cpu": cpu,
        "stored": report.stored,
        "errors": report.errors,
        "rss_mib": peak_rss_mib(),
        "children_rss_mib": sum(children.values()),
        "server_cpu": server_cpu,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
