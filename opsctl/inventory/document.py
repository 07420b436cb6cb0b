"""Reading `integrations.md`: its table is the source of truth, a fenced YAML block the machine part.

    | Service | API tier | Limits | Credential location | Usage monitoring | Backup option |
    |---|---|---|---|---|---|
    | Scraper API | Free | 1000 requests/month | `SCRAPER_API_KEY` in .env | opsctl quota (http) | Manual browsing |

    ```yaml
    services:
      Scraper API:
        usage: {type: http, url: "https://…/usage", auth_env: SCRAPER_API_KEY, used: usage.used, limit: usage.limit}
        credential_expires: 2026-12-31
    ```

Parsed with markdown-it-py (GFM tables). A row the parser would silently pad or
cut (wrong number of cells, no service name, a line without pipes) is reported
as a problem with its line number, and the rest of the table is still read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OperationalFailure

# column key -> header spellings accepted (lower case)
COLUMNS = {
    "service": ("service", "integration", "name"),
    "tier": ("api tier", "tier", "plan"),
    "limits": ("limits", "limit", "rate limits", "quota"),
    "credential": ("credential location", "credentials", "credential", "secrets"),
    "monitoring": ("usage monitoring", "monitoring"),
    "backup": ("backup option", "backup", "fallback"),
}
HEADERS = {"service": "Service", "tier": "API tier", "limits": "Limits", "credential": "Credential location",
           "monitoring": "Usage monitoring", "backup": "Backup option"}
_PIPE = re.compile(r"(?<!\\)\|")


@dataclass
class Integration:
    service: str
    tier: str = ""
    limits: str = ""
    credential: str = ""
    monitoring: str = ""
    backup: str = ""
    line: int = 0  # 1-based line in the file
    config: dict = field(default_factory=dict)  # this service's entry in the YAML block

    def public(self) -> dict:
        return {"service": self.service, "tier": self.tier, "limits": self.limits, "credential": self.credential,
                "monitoring": self.monitoring, "backup": self.backup, "line": self.line,
                "usage_source": (self.config.get("usage") or {}).get("type"),
                "credential_expires": _text(self.config.get("credential_expires"))}


@dataclass
class Inventory:
    path: Path
    integrations: list[Integration] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {line, service, problem}
    header: list[str | None] = field(default_factory=list)  # column keys in table order, None: unknown column
    table_end: int | None = None  # 0-based line after the table's last row
    settings: dict = field(default_factory=dict)  # the YAML block minus `services`
    exists: bool = True

    def find(self, service: str) -> Integration | None:
        key = fold(service)
        return next((i for i in self.integrations if fold(i.service) == key), None)

    def problem(self, line: int | None, problem: str, service: str | None = None) -> None:
        self.problems.append({"line": line, "service": service, "problem": problem})


def load(path: Path) -> Inventory:
    if not path.is_file():
        return Inventory(path, exists=False)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationalFailure(f"cannot read the inventory {path}: {exc}") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Inventory:
    from markdown_it import MarkdownIt

    inventory = Inventory(path)
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    table = _find_table(tokens)
    services: dict = {}
    for token in tokens:
        if token.type == "fence" and token.info.strip().split(" ")[0] in ("yaml", "yml"):
            block = _yaml_block(inventory, token)
            if block is not None:
                services = block.pop("services", None) or {}
                inventory.settings = block
                if not isinstance(services, dict):
                    inventory.problem(token.map[0] + 1, "the YAML block's `services` must map service names to settings")
                    services = {}
                break
    if table is None:
        inventory.problem(None, f"no table with a Service column in {path.name}; "
                                f"expected columns: {' | '.join(HEADERS.values())}")
    else:
        _read_table(inventory, table, lines)
    by_name = {fold(i.service): i for i in inventory.integrations}
    for name, settings in services.items():
        row = by_name.get(fold(str(name)))
        if row is None:
            inventory.problem(None, "the YAML block configures a service that has no row in the table", str(name))
        elif not isinstance(settings, dict):
            inventory.problem(row.line, "its YAML settings must be a mapping", row.service)
        else:
            row.config = settings
    return inventory


def _find_table(tokens: list) -> list | None:
    """The tokens of the first table whose header has a Service column."""
    for start, token in enumerate(tokens):
        if token.type != "table_open":
            continue
        end = next(i for i in range(start, len(tokens)) if tokens[i].type == "table_close")
        if any(_column(_plain(t)) == "service" for t in _header_cells(tokens[start:end])):
            return tokens[start:end + 1]
    return None


def _header_cells(tokens: list) -> list:
    cells, inside = [], False
    for token in tokens:
        if token.type == "thead_open":
            inside = True
        elif token.type == "thead_close":
            break
        elif inside and token.type == "inline":
            cells.append(token)
    return cells


def _read_table(inventory: Inventory, table: list, lines: list[str]) -> None:
    header = [_column(_plain(t)) for t in _header_cells(table)]
    inventory.header = header
    inventory.table_end = table[0].map[1]
    missing = [HEADERS[k] for k in COLUMNS if k not in header]
    if missing:
        inventory.problem(table[0].map[0] + 1, f"the table has no {', '.join(missing)} column(s)")
    rows, current = [], None
    for token in table:
        if token.type == "tr_open" and token.map and token.map[0] > table[0].map[0] + 1:
            current = (token.map[0], [])
            rows.append(current)
        elif token.type == "inline" and current is not None:
            current[1].append(_plain(token))
    seen: dict[str, int] = {}
    for index, cells in rows:
        line = index + 1
        raw = lines[index].strip() if index < len(lines) else ""
        count = len(_PIPE.split(raw.strip("|"))) if "|" in raw else 0
        if count != len(header):
            found = "no cells (a line without |)" if count == 0 else f"{count} cells"
            guess = _PIPE.split(raw.strip("|"))[0].strip() if count else ""
            inventory.problem(line, f"cannot read this row: expected {len(header)} cells, found {found}: {raw[:60]!r}",
                              guess or None)
            continue
        values = {key: cells[i].strip() for i, key in enumerate(header) if key}
        service = values.get("service", "")
        if not service:
            inventory.problem(line, "cannot read this row: the Service cell is empty")
            continue
        if fold(service) in seen:
            inventory.problem(line, f"{service!r} is listed twice (first on line {seen[fold(service)]})", service)
            continue
        seen[fold(service)] = line
        inventory.integrations.append(Integration(line=line, **values))


def _yaml_block(inventory: Inventory, token) -> dict | None:
    import yaml

    try:  # libyaml's loader when PyYAML has it: 10x faster on a block listing 50 services
        data = yaml.load(token.content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = token.map[0] + 2 + mark.line if mark else token.map[0] + 1
        inventory.problem(line, f"invalid YAML in the usage block: {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, dict) or "services" not in data:
        return None  # some other YAML example in the prose
    return data


def _plain(token) -> str:
    """An inline token as plain text (code spans without backticks, emphasis without stars)."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip() if token.children is not None else token.content.strip()


def _column(header: str) -> str | None:
    text = " ".join(header.lower().split())
    return next((key for key, names in COLUMNS.items() if text in names), None)


def fold(name: str) -> str:
    return " ".join(str(name).lower().split())


def _text(value) -> str | None:
    return None if value is None else str(value)
