"""Fault injection for the mail intake: the fetch worker killed with SIGKILL, again and again.

`drain_with_kills()` runs `assistdesk fetchmail -v 2` as a real subprocess against a
real mailbox until no unseen message is left, and kills the first `kills` runs at a
random point of their work. The worker prints each batch step as it happens ("fetched":
the batch is here and its transaction starts, "committed", "flagged": marked seen); the
killer picks a random step of a random batch and a random delay after it, so the kills
land everywhere: inside a transaction, between the commit and the \\Seen flag, while the
server is being told, between batches, during start-up. Afterwards the caller compares
the database with what was delivered (`mailload.verdict`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

STEPS = ("fetched", "committed", "flagged")


@dataclass
class FaultRun:
    runs: int = 0
    kills: int = 0
    kill_points: list[str] = field(default_factory=list)
    refused: int = 0  # runs that found the mailbox lock still held (a dying predecessor)


def _reader(process: subprocess.Popen[str], lines: list[str], seen: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.strip())
        seen.set()


def drain_with_kills(
    *,
    env: dict[str, str],
    unseen: Callable[[], int],
    kills: int,
    seed: int,
    limit: int,
    batch: int,
    cwd: Path,
    timeout: float = 600,
) -> FaultRun:
    """Fetch until `unseen()` is 0, SIGKILLing the first `kills` workers (module docstring).

    Killed runs fetch at most `limit` messages (so that enough remain for every kill);
    once the kills are done, one run takes everything left.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible kill points, not secrets
    result = FaultRun()
    deadline = time.monotonic() + timeout
    while unseen():
        if time.monotonic() > deadline:
            raise TimeoutError(f"mailbox not drained after {result}")
        run_limit = limit if result.kills < kills else 1_000_000
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "assistdesk.cli", "fetchmail", "-v", "2",
             "--limit", str(run_limit), "--batch", str(batch)],
            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        result.runs += 1
        lines: list[str] = []
        seen = threading.Event()
        reader = threading.Thread(target=_reader, args=(process, lines, seen), daemon=True)
        reader.start()
        if result.kills < kills:
            point = _kill_at_random_point(process, lines, seen, rng, limit=limit, batch=batch)
            if point:
                result.kills += 1
                result.kill_points.append(point)
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        reader.join(timeout=10)
        if any("another worker is fetching" in line for line in lines):
            result.refused += 1
            time.sleep(0.2)  # the killed worker's lock goes with its connection
    return result


def _kill_at_random_point(
    process: subprocess.Popen[str],
    lines: list[str],
    seen: threading.Event,
    rng: random.Random,
    *,
    limit: int,
    batch: int,
) -> str:
    """Wait for a random step of a random batch, sleep a little more, SIGKILL; "" if the
    worker finished first."""
    batches = max(1, -(-limit // batch))
    target_batch = rng.randrange(batches)
    target_step = rng.choice(STEPS)
    extra = rng.choice([0.0, rng.uniform(0, 0.05), rng.uniform(0, 0.4)])
    wanted = target_batch * len(STEPS) + STEPS.index(target_step) + 1
    while process.poll() is None:
        steps = [line for line in lines if line.split(" ")[0] in STEPS]
        if len(steps) >= wanted:
            break
        seen.wait(0.01)
        seen.clear()
    if extra:
        time.sleep(extra)
    if process.poll() is not None:
        return ""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return f"batch {target_batch} {target_step} +{extra * 1000:.0f} ms"
