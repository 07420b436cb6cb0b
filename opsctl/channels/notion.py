"""`notion`: the official notion-client; the ledger mirrored into Notion databases.

Each error is a page in the errors database (a red callout holds impact, details and the
numbered options); a status change updates the page's properties. Requests and improvements go
to their own databases when those are configured. A page is found again by its remembered id,
or by its "Error ID" / "Request ID" property, so a retried delivery never makes a second page.
Only the properties the database has are written, each in the type it has there.
"""

from __future__ import annotations

from .base import Channel, Outgoing, Permanent, Sent, Setting, Transient
from .notion_schema import compact, find_page, resolve

SUBJECTS = {"error": ("errors_db", "Error ID"), "request": ("requests_db", "Request ID"),
            "improvement": ("improvements_db", "Improvement ID")}


class NotionChannel(Channel):
    name = "notion"
    client_library = "notion_client"
    client_lazy = ("httpcore",)  # httpx imports its transport (httpcore, h11) when the first client is made
    description = "Notion: a page per error / request / improvement in their databases"
    settings = {
        "token": Setting("NOTION_TOKEN", secret=True),
        "errors_db": Setting("NOTION_ERRORS_DATABASE_ID"),
        "requests_db": Setting("NOTION_REQUESTS_DATABASE_ID"),
        "improvements_db": Setting("NOTION_IMPROVEMENTS_DATABASE_ID"),
        "api_url": Setting("NOTION_API_URL", default="https://api.notion.com"),
    }
    requires = (("token", "errors_db"), ("token", "requests_db"), ("token", "improvements_db"))
    subjects = tuple(SUBJECTS)
    purposes = ("notify", "update", "escalation", "reminder", "decision")

    def missing(self) -> str | None:
        if super().missing() is None:
            return None
        dbs = [self.var(key) for key, _ in SUBJECTS.values()]
        need = "" if self.values.get("token") else f"{self.var('token')} and "
        return f"set {need}at least one of {', '.join(dbs)}"

    def accepts(self, subject: str, purpose: str) -> bool:
        return super().accepts(subject, purpose) and bool(self.values.get(SUBJECTS[subject][0]))

    def client(self, timeout: float):
        import logging

        import httpx
        from notion_client import Client

        base = self.values["api_url"].rstrip("/")
        base = base[:-3] if base.endswith("/v1") else base
        # plain http (a local proxy, the test fakes) has no TLS: skip loading a CA bundle (~30 ms)
        plain = {"client": httpx.Client(verify=False)} if base.startswith("http://") else {}
        return Client(auth=self.values["token"], base_url=base, timeout_ms=int(timeout * 1000), retry=False,
                      log_level=logging.CRITICAL, **plain)

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        client = self.client(timeout)
        from notion_client.errors import HTTPResponseError

        key, label = SUBJECTS[out.subject]
        what = self.var(key)
        try:
            schema = resolve(client, self.values[key], out.cache, what=what)
            try:
                return self._upsert(client, out, schema, label)
            except HTTPResponseError as exc:
                if not (schema.cached and exc.status in (400, 404)):
                    raise
            schema = resolve(client, self.values[key], out.cache, what=what, refresh=True)  # the cache was stale
            return self._upsert(client, out, schema, label)
        except HTTPResponseError as exc:
            raise self.error(exc, what) from None

    def _upsert(self, client, out: Outgoing, schema, label: str) -> Sent:
        from notion_client.errors import HTTPResponseError

        from ..messages import notion_blocks
        from . import notion_values

        title, values, blocks = notion_values.page(out.subject, out.notification, out.record)
        props = notion_blocks.properties(schema.properties, values, title)
        cache = None if schema.cached else {schema.key: schema.dump()}
        page_id = (out.ref or {}).get("remote_id")
        if not page_id and out.may_have_landed:  # a retry never makes a second page
            page_id = find_page(client, schema, label, out.notification.id)
        if page_id:
            try:
                client.pages.update(page_id=page_id, properties=props)
                return Sent(remote_id=page_id, ref={"page_id": page_id}, cache=cache, note="page updated")
            except HTTPResponseError as exc:
                if exc.status != 404:  # the page was deleted: make it again
                    raise
        first, *rest = notion_blocks.batches(blocks)
        page = client.pages.create(parent={"type": "data_source_id", "data_source_id": schema.data_source_id},
                                   properties=props, children=first)
        for batch in rest:
            client.blocks.children.append(block_id=page["id"], children=batch)
        return Sent(remote_id=page["id"], ref={"page_id": page["id"]}, cache=cache, note="page created")

    def error(self, exc, what: str) -> Exception:
        from .http import retry_after

        status, code = exc.status, str(getattr(exc.code, "value", exc.code))
        if status == 429:
            return Transient("Notion rate-limited opsctl (rate_limited)",
                             retry_after=retry_after(exc.headers.get("retry-after")))
        if status >= 500 or status == 409:
            return Transient(f"Notion is unavailable (HTTP {status}, {code})")
        if status == 401:
            return Permanent(f"Notion rejected {self.var('token')} (unauthorized); copy the integration's secret again")
        if status in (403, 404):
            return Permanent(f"Notion cannot reach {what} ({code}): share that database with the integration "
                             "(… menu › Connections) or fix the id")
        return Permanent(f"Notion refused the page ({code}: {str(exc)[:200]})")

    def classify(self, exc: BaseException):
        from notion_client.errors import HTTPResponseError, RequestTimeoutError

        if isinstance(exc, RequestTimeoutError):
            return Transient("Notion did not answer in time (the outcome is unknown)", later_only=True)
        if isinstance(exc, HTTPResponseError):
            return self.error(exc, "the database")
        try:
            import httpx
        except ImportError:  # pragma: no cover
            return super().classify(exc)
        if isinstance(exc, httpx.TransportError):
            return Transient(f"Notion unreachable ({type(exc).__name__})")
        return super().classify(exc)

    def test(self, *, timeout: float) -> str:
        client = self.client(timeout)
        from notion_client.errors import HTTPResponseError

        found = []
        for subject, (key, _) in SUBJECTS.items():
            if not self.values.get(key):
                continue
            try:
                schema = resolve(client, self.values[key], {}, what=self.var(key), refresh=True)
            except HTTPResponseError as exc:
                raise self.error(exc, self.var(key)) from None
            found.append(f"{subject}s database {compact(self.values[key])[:8]}… ok "
                         f"({len(schema.properties)} properties)")
        return "; ".join(found)
