"""Import and start notion-client without the parts a one-shot CLI process never runs.

httpx imports its own command-line tool (click, rich, pygments) and httpcore probes for trio and
anyio (async back-ends); together that is ~100 ms of a notification's start-up, more than the
rest of the Notion delivery. When opsctl owns the process (the `opsctl` command) those imports are
skipped for the duration of the import and restored right after, so nothing else is affected.
Inside someone else's program (the Python API) this does nothing: the host may want them.
"""

from __future__ import annotations

import os
import sys
import types
from contextlib import contextmanager

SKIPPED = ("trio", "anyio")


def owns_process() -> bool:
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", "") or ""
    path = os.path.basename(getattr(main, "__file__", "") or "")
    return name.startswith("opsctl") or path in ("opsctl", "opsctl.exe")


@contextmanager
def lean():
    """Around the import of notion_client and the creation of its first client (httpx imports
    httpcore, which probes trio and anyio, only when a client is made)."""
    if "httpcore" in sys.modules or not owns_process():
        yield
        return
    stub = types.ModuleType("httpx._main")
    stub.main = lambda *args, **kwargs: None  # the httpx CLI entry point, never called by opsctl
    saved = {name: sys.modules.get(name, ...) for name in ("httpx._main", *SKIPPED)}
    if "httpx" not in sys.modules:
        sys.modules["httpx._main"] = stub
    for name in SKIPPED:
        sys.modules.setdefault(name, None)  # None in sys.modules: `import trio` fails fast
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is ...:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
