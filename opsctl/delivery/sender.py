"""Send several deliveries at once, each in its own thread, all inside one time budget.

Results are handed back one by one as they arrive, so the caller records each in the ledger
right after its send (the window in which a crash causes a duplicate stays as small as the
network allows). A delivery still running when the budget is spent is simply not reported:
its claim expires and a later `opsctl deliver` takes it over. Threads are daemons, so a
hanging server can never keep the process alive.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ..channels.base import Channel, DeliveryError, Outgoing, Permanent, Sent
from . import retry

GRACE = 0.5  # seconds past the deadline we wait for a send that is finishing


@dataclass
class Job:
    delivery_id: int | None
    channel: Channel
    out: Outgoing
    claim_token: str | None = None


def send_all(jobs: list[Job], *, budget: float, timeout: float, tries: int) -> Iterator[tuple[Job, Sent | DeliveryError]]:
    if not jobs:
        return
    deadline = time.monotonic() + budget
    results: queue.Queue = queue.Queue()

    def work(job: Job) -> None:
        try:
            outcome = retry.send(job.channel, job.out, deadline=deadline, timeout=timeout, tries=tries)
        except DeliveryError as exc:
            outcome = exc
        except BaseException as exc:  # noqa: BLE001 - a thread must always report back
            try:
                outcome = job.channel.classify(exc)
            except Exception:  # noqa: BLE001 - e.g. the channel's client library is not installed
                outcome = Permanent(f"{job.channel.channel}: {type(exc).__name__}: {exc}")
        results.put((job, outcome))

    # hooks first: a subprocess starts on another core while the others import their clients
    for job in sorted(jobs, key=lambda j: j.channel.name != "notify_user"):
        threading.Thread(target=work, args=(job,), name=f"opsctl-send-{job.channel.channel}", daemon=True).start()
    for _ in jobs:
        left = deadline + GRACE - time.monotonic()
        try:
            yield results.get(timeout=max(0.01, left))
        except queue.Empty:
            return
