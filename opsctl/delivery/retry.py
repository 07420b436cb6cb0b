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
    import tenacity

    def one_try() -> Sent:
        left = deadline - time.monotonic()
        if left < 0.2:
            raise Transient(f"{channel.channel}: no time left in this run")
        try:
            return channel.send(out, timeout=min(timeout, left))
        except DeliveryError:
            raise
        except Exception as exc:  # noqa: BLE001 - library errors become Transient / Permanent
            raise channel.classify(exc) from None

    def wait(state) -> float:
        exc = state.outcome.exception()
        if getattr(exc, "retry_after", None) is not None:
            return float(exc.retry_after)
        return backoff(state)

    def out_of_time(state) -> bool:
        return time.monotonic() + (state.upcoming_sleep or 0) + 0.2 >= deadline

    backoff = tenacity.wait_exponential(multiplier=0.25, max=4) + tenacity.wait_random(0, 0.25)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(
            lambda exc: isinstance(exc, DeliveryError) and exc.transient and not exc.later_only),
        wait=wait,
        stop=tenacity.stop_after_attempt(tries) | out_of_time,
        reraise=True,
    )
    return retrying(one_try)
