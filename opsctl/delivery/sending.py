"""Send claimed deliveries and write down what happened: the one send-and-record path.

    claim (compare-and-set) → threads send, each try re-checking the claim → record the outcomes
                              ↑ a heartbeat renews the lease while they run

Every channel has its own threads (up to `outbox.concurrency`) inside one time budget, so one slow
or failing channel never holds up another; a big batch is sent by forked processes instead, one per
core (`forked`), while this process records. Outcomes are recorded as they arrive: all that arrived
within 10 ms of the first (or while the previous ones were being written) go in one transaction, so
the window in which a crash leaves an outcome unknown stays small and thousands of rows do not cost
a commit each. A send still running when the budget is spent
is not waited for: its claim stays with this process until it exits, then the next `opsctl
deliver` takes it over (see `owner`); rows not started by then are given back at once, due now.
Within a run, transient failures are tried again (`tries`), with short backoff or the server's
Retry-After while it fits the deadline.
"""

from __future__ import annotations

import json
import os
import queue
import random
import threading
import time
from datetime import timedelta

from ..channels.base import Channel, DeliveryError, Outgoing, Permanent, Sent, Transient
from ..clock import now, to_iso
from ..ledger import outbox_table, transaction
from ..scrub import scrub
from . import owner

# an outcome waits at most LINGER seconds (or until GATHER are in) for others to share its commit:
# thousands of small commits cost more ledger time than the sends they record
LINGER = 0.01
GATHER = 256
GRACE = 0.5  # seconds past the deadline we wait for a send that is finishing
RESULT = {"sent": "sent", "dead": "failed", "failed": "failed", "queued": "queued"}


class Job:
    """One claimed row and its channel. What the channel sees (`out`) is built on first use, by the thread
    or forked process that sends it: parsing thousands of payloads is not left to the recording thread."""

    __slots__ = ("row", "channel", "token", "found", "_out")

    def __init__(self, row, channel: Channel, token: str, found: tuple = (None, None, False)):
        self.row, self.channel, self.token = row, channel, token
        self.found = found  # what the ledger holds for it: (ref, this channel type's cache, earlier delivery?)
        self._out = None

    @property
    def out(self) -> Outgoing:
        if self._out is None:
            row, (ref, cache, earlier) = self.row, self.found
            payload = json.loads(row["payload"])
            self._out = Outgoing(row["subject"], row["subject_id"], row["purpose"], record=payload.get("record"),
                                 mention=payload.get("mention"), ref=ref, delivery_id=row["id"],
                                 cache=dict(cache or {}), attempt=row["attempts"], earlier=earlier,
                                 queued=payload["notification"])
        return self._out


def later(seconds: float) -> str:
    return to_iso(now() + timedelta(seconds=seconds))


def new_token() -> str:
    return os.urandom(16).hex()


def claim(ctx, rules, *, ids: list[int] | None, limit: int) -> tuple[str, list]:
    """Claim due rows (only `ids` when given, else any due, plus claims whose owner is gone)."""
    token, me, at = new_token(), owner.me(), to_iso(now())
    until = later(rules.lease)
    with transaction(ctx.conn):
        rows = outbox_table.claim(ctx.conn, ids=ids, limit=limit, token=token, owner=me, until=until, at=at)
        if ids is None and len(rows) < limit:
            for stale in outbox_table.claimed_due(ctx.conn, at=at, limit=limit - len(rows)):
                expired = (now() - _parse(stale["claimed_until"])).total_seconds() if stale["claimed_until"] else 0
                if owner.gone(stale["claim_owner"], lease_expired_for=expired):
                    row = outbox_table.take_over(ctx.conn, stale["id"], old_token=stale["claim_token"], token=token,
                                                 owner=me, until=until)
                    if row is not None:
                        rows.append(row)
    return token, rows


def _parse(text: str):
    from ..clock import parse_iso

    return parse_iso(text)


def lookups(conn, pairs: list[tuple]) -> list[tuple]:
    """What the claimed rows' channels need from the ledger, read once per batch: (ref, cache, earlier) each."""
    ids = [row["id"] for row, _ in pairs]
    refs = outbox_table.refs_for(conn, [row["id"] for row, _ in pairs if row["subject_id"] is not None])
    earlier = outbox_table.with_earlier(conn, ids)
    caches: dict[str, dict] = {}
    for _, channel in pairs:
        if channel.name not in caches:
            caches[channel.name] = outbox_table.cache(conn, f"{channel.name}:")
    return [(refs.get(row["id"]), caches[channel.name], row["id"] in earlier) for row, channel in pairs]


def process(ctx, rows: list, token: str, channels: dict[str, Channel], rules) -> list[dict]:
    """Send claimed `rows` and record each outcome; one {id, channel, status[, error]} per row.

    status: sent, queued (tried again later), failed (permanent: dead now), dead (out of attempts).
    Outcomes are written as they arrive, in one transaction for all that arrived together.
    """
    return Round(ctx, rows, token, channels, rules).finish()


class Round:
    """One claimed batch on its way: the sends start when it is made; `finish()` records every outcome.

    `opsctl deliver` claims the next batch while forked processes send this one (`forked`)."""

    def __init__(self, ctx, rows: list, token: str, channels: dict[str, Channel], rules):
        self.ctx, self.token, self.rules = ctx, token, rules
        self.outcomes, ready, unusable = [], [], []
        for row in rows:
            channel = channels.get(row["channel"])
            problem = "is not configured here" if channel is None else channel.missing()
            if problem:
                unusable.append((row, Transient(f"channel {row['channel']}: {problem}")))
            else:
                ready.append((row, channel))
        if unusable:
            with transaction(ctx.conn):
                self.outcomes += [_failed(ctx.conn, row["id"], row["channel"], token, exc, rules)
                                  for row, exc in unusable]
        self.everything, self.senders, self.forked = [], None, False
        if not ready:
            return
        jobs = [Job(row, channel, token, found) for (row, channel), found in zip(ready, lookups(ctx.conn, ready))]
        held = outbox_table.holding(ctx.conn, [job.row["id"] for job in jobs], token)  # right before the network
        jobs = [job for job in jobs if job.row["id"] in held]
        from . import forked

        children, jobs = forked.start(jobs, rules)  # a big batch, or two heavy client libraries due at once
        self.forked = bool(children) and not jobs
        self.everything = jobs + [job for child in children for job in child.jobs]
        self.beat = Heartbeat(ctx, [job.row["id"] for job in self.everything], token, rules)  # children's too
        self.senders = Senders(jobs, self.beat, rules, children)

    def finish(self) -> list[dict]:
        if self.senders is None:
            return self.outcomes
        ctx, token, outcomes = self.ctx, self.token, self.outcomes
        try:
            for arrived in self.senders.results():
                outcomes += _record(ctx, arrived, token, self.rules)
                for job, _ in arrived:
                    self.beat.done(job.row["id"])
        finally:
            self.beat.stop()
            never = {job.row["id"] for job in self.senders.stop()}  # the budget ran out before these started
            if never:
                with transaction(ctx.conn):
                    outbox_table.unclaim(ctx.conn, sorted(never), token, at=to_iso(now()))
        seen = {o["id"] for o in outcomes}
        outcomes += [{"id": job.row["id"], "channel": job.channel.channel, "status": "queued",
                      "error": "not tried: the time budget ran out first; `opsctl deliver` will send it"
                      if job.row["id"] in never else
                      "still sending when the time budget ran out; `opsctl deliver` will finish it"}
                     for job in self.everything if job.row["id"] not in seen]
        return outcomes


def _record(ctx, arrived: list, token: str, rules) -> list[dict]:
    """Write down the outcomes that arrived together, in one transaction (one commit, not one per row)."""
    at, plain, rest = to_iso(now()), [], []
    for job, result in arrived:
        if isinstance(result, Sent) and not (result.remote_id or result.ref or result.cache):
            plain.append(job)  # most webhooks: sent, nothing to remember
        else:
            rest.append((job, result))
    with transaction(ctx.conn):
        mine = outbox_table.mark_sent_many(ctx.conn, [job.row["id"] for job in plain], token, at=at)
        outcomes = [{"id": job.row["id"], "channel": job.channel.channel,
                     "status": "sent" if job.row["id"] in mine else "queued"} for job in plain]
        for job, result in rest:
            if isinstance(result, Sent):
                ref_key = (job.out.subject, job.out.subject_id, job.channel.channel) \
                    if job.out.subject_id is not None else None
                ours = outbox_table.mark_sent(ctx.conn, job.row["id"], token, at=at, remote_id=result.remote_id,
                                              ref=result.ref, ref_key=ref_key, cache=result.cache)
                outcomes.append({"id": job.row["id"], "channel": job.channel.channel,
                                 "status": "sent" if ours else "queued"})
            else:
                outcomes.append(_failed(ctx.conn, job.row["id"], job.channel.channel, token, result, rules,
                                        job.channel))
    return outcomes


def _failed(conn, row_id: int, name: str, token: str, exc: DeliveryError, rules, channel: Channel | None = None) -> dict:
    """Queue a transient failure for a later attempt; a permanent one, or the last attempt, is dead.

    Inside the caller's transaction."""
    error = scrub(channel.redact(exc.message) if channel else exc.message)[:1000]
    tried = outbox_table.attempts(conn, row_id, token)
    if tried is None:  # no longer ours (cannot happen while we live; recorded by its new owner)
        return {"id": row_id, "channel": name, "status": "queued", "error": error}
    status = "failed" if not exc.transient else "dead" if tried >= rules.max_attempts else "queued"
    due = later(rules.next_delay(tried, exc.retry_after)) if status == "queued" else None
    outbox_table.release(conn, row_id, status="queued" if status == "queued" else "dead", error=error, due=due)
    return {"id": row_id, "channel": name, "status": status, "error": error}


class Heartbeat:
    """Renews the lease of the claims in flight, and answers "is this claim still ours?" for the senders
    (before each retry: the first try follows the check made right before the network, `holding`).

    SQLite connections belong to one thread: the heartbeat and each sender thread open their own,
    on first use (a send that succeeds at its first try never opens one).
    """

    ask_first = False

    def __init__(self, ctx, ids: list[int], token: str, rules):
        self.settings, self.token, self.rules = ctx.settings, token, rules
        self.left = set(ids)
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.local = threading.local()
        self.thread = threading.Thread(target=self._run, name="opsctl-lease", daemon=True)
        self.thread.start()

    def _connection(self):
        if getattr(self.local, "conn", None) is None:
            from ..ledger import connect

            self.local.conn = connect(self.settings)
        return self.local.conn

    def _run(self) -> None:
        interval = max(1.0, self.rules.lease / 3)
        while not self.stopped.wait(interval):
            with self.lock:
                ids = sorted(self.left)
            if not ids:
                continue
            try:
                conn = self._connection()
                with transaction(conn):
                    outbox_table.renew(conn, ids, token=self.token, until=later(self.rules.lease))
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                pass

    def holds(self, row_id: int) -> bool:
        try:
            return outbox_table.holds(self._connection(), row_id, self.token)
        except Exception:  # noqa: BLE001 - cannot tell: do not send on a claim we cannot confirm
            return False

    def done(self, row_id: int) -> None:
        with self.lock:
            self.left.discard(row_id)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()  # it only waits on `stopped` (or writes one renewal): ended at once


class Senders:
    """Threads that send the jobs: per channel, up to `outbox.concurrency` at once, each taking the next job
    of its channel until none is left, so one slow or failing channel never holds up another. HTTP
    channels reuse their keep-alive connections across jobs (opsctl.channels.http)."""

    def __init__(self, jobs: list[Job], beat: Heartbeat, rules, children=(), report=None):
        self.beat, self.rules = beat, rules
        self.deadline = time.monotonic() + rules.budget
        self.waiting = len(jobs) + sum(len(child.jobs) for child in children)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.report = report or self.done.put  # each (job, outcome): a forked child writes it out at once
        self.todo: dict[str, queue.SimpleQueue] = {}
        self.never: list[Job] = []
        self.threads: list[threading.Thread] = []
        # hooks first: a subprocess starts on another core while the others import their clients
        for job in sorted(jobs, key=lambda j: j.channel.name != "notify_user"):
            self.todo.setdefault(job.channel.channel, queue.SimpleQueue()).put(job)
        for name, todo in self.todo.items():
            for _ in range(min(max(1, rules.concurrency), todo.qsize())):
                self._thread(self._work, (todo,), f"opsctl-send-{name}")
        if children:
            from .forked import follow

            for child in children:  # what a forked child reports joins the threads' outcomes
                self._thread(follow, (child, self.report, self.deadline + GRACE), "opsctl-forked")

    def _thread(self, target, args: tuple, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _work(self, todo: queue.SimpleQueue) -> None:
        while True:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            if time.monotonic() >= self.deadline:
                self.report((job, None))  # never started: the budget is spent
                continue
            try:
                outcome = _with_retries(job, self.beat, self.deadline, self.rules)
            except DeliveryError as exc:
                outcome = exc
            except BaseException as exc:  # noqa: BLE001 - a thread must always report back
                try:
                    outcome = job.channel.classify(exc)
                except Exception:  # noqa: BLE001 - e.g. the channel's client library is not installed
                    outcome = Permanent(f"{job.channel.channel}: {type(exc).__name__}: {exc}")
            self.report((job, outcome))

    def results(self):
        """Yield lists of (job, Sent | DeliveryError): all that finished since the last list, until every job
        is done or the budget (plus a grace) is spent. Jobs never started are kept for `stop()`."""
        while self.waiting:
            try:
                arrived = [self.done.get(timeout=max(0.01, self.deadline + GRACE - time.monotonic()))]
            except queue.Empty:
                return
            gather_until = time.monotonic() + LINGER
            while len(arrived) < min(self.waiting, GATHER):
                try:
                    arrived.append(self.done.get(timeout=max(0.0, gather_until - time.monotonic())))
                except queue.Empty:
                    break
            self.waiting -= len(arrived)
            self.never += [job for job, outcome in arrived if outcome is None]
            arrived = [(job, outcome) for job, outcome in arrived if outcome is not None]
            if arrived:
                yield arrived

    def wait(self) -> None:
        """Until every sender thread is done (reporting each job) or the budget and its grace are spent."""
        for thread in self.threads:
            thread.join(max(0.0, self.deadline + GRACE - time.monotonic()))

    def stop(self) -> list[Job]:
        """Take back the jobs no thread has started (none will now); returns every job never started.

        When every job was reported, the threads are ending: they are joined, so the next batch may fork."""
        if not self.waiting:
            for thread in self.threads:
                thread.join()
        self.deadline = 0.0
        for todo in self.todo.values():
            while True:
                try:
                    self.never.append(todo.get_nowait())
                except queue.Empty:
                    break
        while True:  # taken after the deadline, not started, reported after we stopped listening
            try:
                job, outcome = self.done.get_nowait()
            except queue.Empty:
                return self.never
            if outcome is None:
                self.never.append(job)


def _with_retries(job: Job, beat: Heartbeat, deadline: float, rules) -> Sent:
    """Up to `rules.tries` tries of one delivery before the deadline; the last failure is raised."""
    for number in range(1, max(1, rules.tries) + 1):
        left = deadline - time.monotonic()
        if left < 0.2:
            raise Transient(f"{job.channel.channel}: no time left in this run")
        if (number > 1 or beat.ask_first) and not beat.holds(job.row["id"]):  # the claim moved on: never send on it
            raise Transient(f"{job.channel.channel}: claim taken over by another process")
        job.out.tried += 1
        try:
            return job.channel.send(job.out, timeout=min(rules.timeout, left))
        except Exception as exc:  # noqa: BLE001 - library errors become Transient / Permanent
            error = exc if isinstance(exc, DeliveryError) else job.channel.classify(exc)
        if not error.transient or error.later_only or number >= rules.tries:
            raise error
        wait = error.retry_after if error.retry_after is not None else min(4.0, 0.25 * 2 ** (number - 1))
        wait += random.uniform(0, 0.25) if error.retry_after is None else 0
        if time.monotonic() + wait + 0.2 >= deadline:
            raise error
        time.sleep(wait)
    raise Transient(f"{job.channel.channel}: not sent")  # pragma: no cover - the loop always returns or raises
