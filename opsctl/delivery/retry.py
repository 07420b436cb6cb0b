"""One delivery, retried in-process with tenacity inside a deadline.

Retried: Transient failures (429, 5xx, timeouts, refused connections), with exponential
backoff and jitter, or exactly the server's Retry-After when it gave one. Never retried:
Permanent failures (other 4xx, bad tokens), nor a hook command that failed or hung (it may have
done part of its work; the outbox tries it again later). Each try gets at most the time left before the
deadline, and no wait is started that would end past it; the last failure is raised so the
outbox can schedule the next attempt.
"""

from __future__ import annotations

import time

from ..channels.base import Channel, DeliveryError, Outgoing, Sent, Transient


def send(channel: Channel, out: Outgoing, *, deadline: float, timeout: float, tries: int) -> Sent:
    try:
        return _one_try(channel, out, deadline, timeout)
    except DeliveryError as exc:
        if tries <= 1 or not _retryable(exc):
            raise
        first = exc
    return _retry(channel, out, deadline=deadline, timeout=timeout, tries=tries, first=first)


def _one_try(channel: Channel, out: Outgoing, deadline: float, timeout: float) -> Sent:
    left = deadline - time.monotonic()
    if left < 0.2:
        raise Transient(f"{channel.channel}: no time left in this run")
    out.tried += 1
    try:
        return channel.send(out, timeout=min(timeout, left))
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - library errors become Transient / Permanent
        raise channel.classify(exc) from None


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.transient and not exc.later_only


def _retry(channel: Channel, out: Outgoing, *, deadline: float, timeout: float, tries: int,
           first: DeliveryError) -> Sent:
    """Tries 2..n. tenacity is imported only when a first try failed (the usual case costs nothing)."""
    import tenacity

    replay = [first]  # tenacity sees the first failure as its attempt 1, so it picks the first wait

    def attempt() -> Sent:
        if replay:
            raise replay.pop()
        return _one_try(channel, out, deadline, timeout)

    def wait(state) -> float:
        exc = state.outcome.exception()
        if getattr(exc, "retry_after", None) is not None:
            return float(exc.retry_after)
        return backoff(state)

    def out_of_time(state) -> bool:
        return time.monotonic() + (state.upcoming_sleep or 0) + 0.2 >= deadline

    backoff = tenacity.wait_exponential(multiplier=0.25, max=4) + tenacity.wait_random(0, 0.25)
    retrying = tenacity.Retrying(retry=tenacity.retry_if_exception(_retryable), wait=wait,
                                 stop=tenacity.stop_after_attempt(tries) | out_of_time, reraise=True)
    return retrying(attempt)
