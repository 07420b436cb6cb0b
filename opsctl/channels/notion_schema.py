"""From the database id a user copies out of Notion to what a page needs (API 2025-09-03).

Since 2025-09-03 a database holds one or more data sources; pages are created in a data source
and its schema lives there. `resolve` asks once (databases.retrieve + data_sources.retrieve) and
the answer is cached in the ledger's kv table under "notion:db:<id>".
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .base import Permanent


@dataclass
class Schema:
    database_id: str
    data_source_id: str
    properties: dict[str, str]  # name -> type
    cached: bool = False

    @property
    def key(self) -> str:
        return cache_key(self.database_id)

    def dump(self) -> str:
        return json.dumps({"data_source_id": self.data_source_id, "properties": self.properties})

    def find_id_property(self, label: str) -> str | None:
        kind = self.properties.get(label)
        return label if kind in ("rich_text", "title") else None


def compact(database_id: str) -> str:
    """Accept an id, a dashed id or a whole Notion URL; return the 32 hex characters."""
    import re

    text = database_id.strip().split("?")[0].rstrip("/")
    found = re.findall(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", text)
    return found[-1].replace("-", "").lower() if found else text


def cache_key(database_id: str) -> str:
    return f"notion:db:{compact(database_id)}"


def resolve(client, database_id: str, cache: dict, *, what: str, refresh: bool = False) -> Schema:
    db = compact(database_id)
    hit = None if refresh else cache.get(cache_key(db))
    if hit:
        data = json.loads(hit)
        return Schema(db, data["data_source_id"], data["properties"], cached=True)
    database = client.databases.retrieve(database_id=db)
    sources = database.get("data_sources") or []
    if not sources:
        raise Permanent(f"Notion database {what} has no data source; open it in Notion and add one")
    # several data sources: the first is the one the database was created with
    source = client.data_sources.retrieve(data_source_id=sources[0]["id"])
    props = {name: spec.get("type") for name, spec in (source.get("properties") or {}).items()}
    return Schema(db, source["id"], props)


def find_page(client, schema: Schema, label: str, value: str) -> str | None:
    """The page whose id property (e.g. "Error ID") equals `value`, so a retry never makes a second page."""
    name = schema.find_id_property(label)
    if name is None:
        return None
    kind = schema.properties[name]
    found = client.data_sources.query(data_source_id=schema.data_source_id, page_size=1,
                                      filter={"property": name, kind: {"equals": value}})
    results = [page for page in found.get("results") or [] if not page.get("in_trash")]
    return results[0]["id"] if results else None


# What `opsctl notion setup` creates: property name -> type.
ERRORS_PROPERTIES = {
    "Title": "title", "Error ID": "rich_text", "Type": "select", "Service": "select", "Project": "select",
    "Impact": "select", "Status": "select", "Occurrences": "number", "Occurred": "date", "Resolved": "date",
    "Resolution time": "rich_text", "Solution": "rich_text", "Decision": "rich_text",
}
REQUESTS_PROPERTIES = {
    "Title": "title", "Request ID": "rich_text", "Purpose": "rich_text", "Alternatives": "rich_text",
    "Urgency": "select", "Cost": "rich_text", "Status": "select", "Asks": "number", "Requested": "date",
    "Decided": "date", "Until": "date", "Note": "rich_text",
}
IMPROVEMENTS_PROPERTIES = {
    "Title": "title", "Improvement ID": "rich_text", "Department": "select", "Operation": "rich_text",
    "Impact": "rich_text", "Category": "select", "Targets": "multi_select", "Logged": "date",
}
