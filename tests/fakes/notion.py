"""Loopback fake of the Notion API, version 2025-09-03 (databases hold data sources).

Use ``notion_client.Client(auth=fake.token, base_url=fake.url)`` (no trailing
slash: the client appends ``/v1/``). Every request needs ``Notion-Version``
(else 400 ``missing_version``) and ``Authorization: Bearer <fake.token>`` (else
401 ``unauthorized``; ``fake.reject_auth = True`` makes every token invalid).

Routes (names as in notion_client, usable with ``fail_next``/``hang_next``/``calls``):
``databases.retrieve``, ``databases.create``, ``data_sources.retrieve``,
``data_sources.query``, ``pages.create``, ``pages.retrieve``, ``pages.update``,
``blocks.children.append``, ``blocks.children.list``, ``users.me``.

Ids may be sent dashed or as 32 bare hex chars; responses use dashed ids.
A database id is NOT a data source id (404 ``object_not_found``, like Notion).

Validation (400 ``validation_error``, Notion-style messages): rich text items
(title / rich_text properties and block ``rich_text``) with ``text.content`` over
2000 UTF-16 units, rich text arrays over 100 items, more than 100 ``children``
blocks per request, unknown property names, wrong property value type, page
parent with several data sources given only by ``database_id``.

Seeding and assertions: ``add_page(title) -> page_id``, ``add_database(title,
properties=None, parent_page_id=None, data_sources=1) -> database dict``,
``fake.pages[page_id]["properties"]``, ``fake.prop(page_id, name)`` (plain
value), ``fake.children(block_id)`` (appended blocks).

Faults: ``fail_next(route, status)`` answers Notion's JSON error (status -> code:
400 validation_error, 401 unauthorized, 403 restricted_resource, 404
object_not_found, 409 conflict_error, 429 rate_limited (Retry-After defaults
to 1), 500 internal_server_error, 503 service_unavailable, 504
gateway_timeout); 502 answers an HTML page like Notion's edge does.
Override with ``code=``, ``message=`` or ``body=``.
"""
from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from .base import FakeServer, Fault, Recorded, Reply
from .notion_rules import (NOW, RICH, NotionError, check_blocks, check_rich, empty_props,
                           invalid, matches, nid, not_found, rt, simple, title_schema)

_CODES = {400: "validation_error", 401: "unauthorized", 403: "restricted_resource",
          404: "object_not_found", 409: "conflict_error", 429: "rate_limited",
          500: "internal_server_error", 503: "service_unavailable", 504: "gateway_timeout"}
_ROUTES = [(m, re.compile(rf"^/v1/{p}$"), name) for m, p, name in [
    ("GET", r"databases/([^/]+)", "databases.retrieve"),
    ("POST", r"databases", "databases.create"),
    ("GET", r"data_sources/([^/]+)", "data_sources.retrieve"),
    ("POST", r"data_sources/([^/]+)/query", "data_sources.query"),
    ("POST", r"pages", "pages.create"),
    ("GET", r"pages/([^/]+)", "pages.retrieve"),
    ("PATCH", r"pages/([^/]+)", "pages.update"),
    ("PATCH", r"blocks/([^/]+)/children", "blocks.children.append"),
    ("GET", r"blocks/([^/]+)/children", "blocks.children.list"),
    ("GET", r"users/me", "users.me"),
    ("POST", r"comments", "comments.create"),
]]
BOT_USER_ID = "00000000-0000-0000-0000-000000000001"
class NotionFake(FakeServer):
    """Fake Notion API; see module docstring."""

    def __init__(self, token: str = "ntn_test_token") -> None:
        self.token = token
        self.pages: dict[str, dict] = {}
        self.databases: dict[str, dict] = {}
        self.comments: list[dict] = []
        self.clock = NOW  # created/last_edited time the fake stamps on what opsctl writes
        self.data_sources: dict[str, dict] = {}
        self.blocks: dict[str, list[dict]] = {}
        super().__init__()

    # -- seeding / assertions ---------------------------------------------
    def add_page(self, title: str = "Root page") -> str:
        props = {"title": {"id": "title", "type": "title", "title": rt(title)}}
        return self._store_page({"type": "workspace", "workspace": True}, props)["id"]

    def add_database(self, title: str = "Ops", properties: dict | None = None,
                     parent_page_id: str | None = None, data_sources: int = 1) -> dict:
        parent = nid(parent_page_id) if parent_page_id else self.add_page("Parent of " + title)
        return self._create_db({"type": "page_id", "page_id": parent}, title,
                               properties or {"Name": {"title": {}}}, data_sources)

    def prop(self, page_id: str, name: str) -> Any:
        return simple(self.pages[nid(page_id)]["properties"][name])

    def children(self, block_id: str) -> list[dict]:
        return self.blocks[nid(block_id)]

    # -- FakeServer hooks -------------------------------------------------
    def route_of(self, method: str, path: str) -> str:
        return next((n for m, rx, n in _ROUTES if m == method and rx.match(path)),
                    f"{method} {path}")

    def render_fault(self, fault: Fault, req: Recorded) -> Reply:
        status = fault.status or 500
        if fault.body is not None:
            return Reply(status, fault.body)
        if status == 502 and "code" not in fault.extra:
            return Reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
                         {"Content-Type": "text/html"})
        reply = NotionError(status, fault.extra.get("code", _CODES.get(status, "internal_server_error")),
                            fault.extra.get("message", f"Fake Notion error {status}.")).reply
        if status == 429 and fault.retry_after is None:
            reply.headers["Retry-After"] = "1"
        return reply

    def handle(self, req: Recorded) -> Reply:
        try:
            if req.header("authorization") != f"Bearer {self.token}" or self.reject_auth:
                raise NotionError(401, "unauthorized", "API token is invalid.")
            if not req.header("notion-version"):
                raise NotionError(400, "missing_version", "Notion-Version header failed "
                                  "validation: Notion-Version header should be defined.")
            if req.raw and req.body is None:
                raise NotionError(400, "invalid_json", "Error parsing JSON body.")
            for m, rx, name in _ROUTES:
                match = rx.match(req.path)
                if m == req.method and match:
                    ids = [nid(g) for g in match.groups()]
                    fn = getattr(self, "_" + name.replace(".", "_"))
                    return Reply(200, fn(copy.deepcopy(req.body) or {}, *ids))
            raise NotionError(400, "invalid_request_url", "Invalid request URL.")
        except NotionError as err:
            return err.reply

    # -- endpoints ----------------------------------------------------------
    def edit_by_person(self, page_id: str, at: str, user_id: str = "7f0e0000-0000-4000-8000-00000000a11c",
                       **selects: str) -> None:
        """A person changes select properties in Notion's UI (e.g. Status="resolved") at `at` (ISO, ms, Z)."""
        with self._lock:
            page = self.pages[page_id]
            for name, value in selects.items():
                page["properties"][name]["select"] = {"id": value, "name": value, "color": "default"}
            page["last_edited_time"], page["last_edited_by"] = at, {"object": "user", "id": user_id}

    def _comments_create(self, body: dict) -> dict:
        parent = (body.get("parent") or {}).get("page_id")
        if parent not in self.pages:
            raise not_found(parent or "")
        comment = {"object": "comment", "id": str(uuid.uuid4()), "parent": {"type": "page_id", "page_id": parent},
                   "rich_text": check_rich(body.get("rich_text") or [], "body.rich_text"),
                   "created_by": {"object": "user", "id": BOT_USER_ID}}
        with self._lock:
            self.comments.append(comment)
        return comment

    def _users_me(self, body: dict) -> dict:
        return {"object": "user", "id": BOT_USER_ID, "type": "bot", "name": "opsctl",
                "bot": {"workspace_name": "Fake workspace"}}

    def _databases_retrieve(self, body: dict, db_id: str) -> dict:
        if db_id not in self.databases:
            raise not_found(db_id)
        return self.databases[db_id]

    def _databases_create(self, body: dict) -> dict:
        parent = dict(body.get("parent") or {})
        if parent.get("page_id"):
            parent["page_id"] = nid(parent["page_id"])
            if parent["page_id"] not in self.pages:
                raise not_found(parent["page_id"])
        elif parent.get("type") != "workspace":
            raise invalid("body failed validation: body.parent.page_id should be defined.")
        title = simple({"type": "title", "title": check_rich(body.get("title", []), "body.title")})
        props = (body.get("initial_data_source") or {}).get("properties") or {"Name": {"title": {}}}
        return self._create_db(parent, title, props, 1)

    def _data_sources_retrieve(self, body: dict, ds_id: str) -> dict:
        if ds_id not in self.data_sources:
            raise not_found(ds_id)
        return self.data_sources[ds_id]

    def _data_sources_query(self, body: dict, ds_id: str) -> dict:
        self._data_sources_retrieve(body, ds_id)
        rows = [p for p in self.pages.values()
                if p["parent"].get("data_source_id") == ds_id and not p["in_trash"]]
        rows = [p for p in rows if matches(p, body.get("filter"))]
        start = next((i for i, p in enumerate(rows) if p["id"] == body.get("start_cursor")), 0)
        size = min(int(body.get("page_size") or 100), 100)
        page, rest = rows[start:start + size], rows[start + size:]
        return {"object": "list", "type": "page_or_data_source", "page_or_data_source": {},
                "results": page, "has_more": bool(rest),
                "next_cursor": rest[0]["id"] if rest else None}

    def _pages_create(self, body: dict) -> dict:
        parent, schema = self._resolve_parent(body.get("parent") or {})
        props = self._check_props(body.get("properties") or {}, schema)
        children = check_blocks(body.get("children") or [], "body.children")
        page = self._store_page(parent, {**empty_props(schema), **props})
        self._append(page["id"], children)
        return page

    def _pages_retrieve(self, body: dict, page_id: str) -> dict:
        if page_id not in self.pages:
            raise not_found(page_id)
        return self.pages[page_id]

    def _pages_update(self, body: dict, page_id: str) -> dict:
        page = self._pages_retrieve(body, page_id)
        ds = self.data_sources.get(page["parent"].get("data_source_id", ""))
        schema = ds["properties"] if ds else title_schema()
        with self._lock:
            page["properties"].update(self._check_props(body.get("properties") or {}, schema))
            page["last_edited_by"] = {"object": "user", "id": BOT_USER_ID}
            page["last_edited_time"] = max(page["last_edited_time"], self.clock)
            for flag in ("in_trash", "archived"):
                if flag in body:
                    page["in_trash"] = page["archived"] = bool(body[flag])
        return page

    def _blocks_children_append(self, body: dict, block_id: str) -> dict:
        if block_id not in self.blocks:
            raise not_found(block_id)
        added = self._append(block_id, check_blocks(body.get("children"), "body.children"))
        return {"object": "list", "results": added, "has_more": False, "next_cursor": None,
                "type": "block", "block": {}}

    def _blocks_children_list(self, body: dict, block_id: str) -> dict:
        if block_id not in self.blocks:
            raise not_found(block_id)
        return {"object": "list", "results": self.blocks[block_id], "has_more": False,
                "next_cursor": None, "type": "block", "block": {}}

    # -- internals ----------------------------------------------------------
    def _create_db(self, parent: dict, title: str, props: dict, n_sources: int) -> dict:
        schema = {}
        for i, (name, spec) in enumerate(props.items()):
            t = spec.get("type") or next(iter(spec))
            schema[name] = {"id": "title" if t == "title" else f"p{i}", "name": name,
                            "type": t, t: spec.get(t, {})}
        if [s["type"] for s in schema.values()].count("title") != 1:
            raise invalid("body failed validation: a data source needs exactly one title property.")
        db_id = str(uuid.uuid4())
        sources = []
        for i in range(n_sources):
            name = title if i == 0 else f"{title} {i + 1}"
            ds = {"object": "data_source", "id": str(uuid.uuid4()), "title": rt(name),
                  "properties": schema, "parent": {"type": "database_id", "database_id": db_id},
                  "database_parent": parent, "created_time": NOW, "last_edited_time": NOW}
            self.data_sources[ds["id"]] = ds
            sources.append({"id": ds["id"], "name": name})
        db = {"object": "database", "id": db_id, "title": rt(title), "description": [],
              "parent": parent, "is_inline": False, "in_trash": False, "is_locked": False,
              "data_sources": sources, "created_time": NOW, "last_edited_time": NOW,
              "icon": None, "cover": None, "url": f"https://www.notion.so/{db_id.replace('-', '')}"}
        with self._lock:
            self.databases[db_id] = db
        return db

    def _resolve_parent(self, parent: dict) -> tuple[dict, dict]:
        if parent.get("data_source_id"):
            ds_id = nid(parent["data_source_id"])
            if ds_id not in self.data_sources:
                raise not_found(ds_id)
        elif parent.get("database_id"):
            db = self._databases_retrieve({}, nid(parent["database_id"]))
            if len(db["data_sources"]) != 1:
                raise invalid("body failed validation: database has multiple data sources, "
                               "use parent.data_source_id.")
            ds_id = db["data_sources"][0]["id"]
        elif parent.get("page_id"):
            page_id = self._pages_retrieve({}, nid(parent["page_id"]))["id"]
            return {"type": "page_id", "page_id": page_id}, title_schema()
        else:
            raise invalid("body failed validation: body.parent should be defined.")
        ds = self.data_sources[ds_id]
        return ({"type": "data_source_id", "data_source_id": ds_id,
                 "database_id": ds["parent"]["database_id"]}, ds["properties"])

    def _check_props(self, props: dict, schema: dict) -> dict:
        out = {}
        for name, value in props.items():
            spec = schema.get(name) or next((s for s in schema.values() if s["id"] == name), None)
            if spec is None:
                raise invalid(f"{name} is not a property that exists.")
            t = spec["type"]
            if not isinstance(value, dict) or t not in value:
                raise invalid(f"{name} is expected to be {t}.")
            v = value[t]
            if t in RICH:
                v = check_rich(v, f"body.properties.{name}.{t}")
            out[spec["name"]] = {"id": spec["id"], "type": t, t: v}
        return out

    def _store_page(self, parent: dict, props: dict) -> dict:
        pid = str(uuid.uuid4())
        page = {"object": "page", "id": pid, "created_time": self.clock, "last_edited_time": self.clock,
                "created_by": {"object": "user", "id": BOT_USER_ID}, "last_edited_by": {"object": "user", "id": BOT_USER_ID},
                "parent": parent, "in_trash": False, "archived": False, "properties": props,
                "icon": None, "cover": None, "url": f"https://www.notion.so/{pid.replace('-', '')}"}
        with self._lock:
            self.pages[pid] = page
            self.blocks[pid] = []
        return page

    def _append(self, parent_id: str, blocks: list[dict]) -> list[dict]:
        added = []
        for b in blocks:
            t = b.get("type") or next(k for k in b if k != "object")
            kids = (b.get(t) or {}).pop("children", None) if isinstance(b.get(t), dict) else None
            block = {"object": "block", "id": str(uuid.uuid4()), "type": t, t: b.get(t),
                     "has_children": bool(kids), "in_trash": False}
            with self._lock:
                self.blocks[parent_id].append(block)
                self.blocks[block["id"]] = []
            self._append(block["id"], kids or [])
            added.append(block)
        return added
