"""`opsctl serve` without typer: a server's first answer should not wait for the CLI framework.

`serve_main` handles exactly `serve [--host H] [--port N] [--json]` (also `--opt=value`); anything
else (help, bad values, other flags) returns None and goes through typer for its usual messages.
`run_serve` is the command's body, shared with the typer command in serve_cmd.
"""

from __future__ import annotations

import sys


def serve_main(args: list[str]) -> int | None:
    options = {"host": "127.0.0.1", "port": "8080", "json": False}
    items = iter(args)
    for arg in items:
        name, has_value, value = arg.partition("=")
        if name == "--json" and not has_value:
            options["json"] = True
        elif name in ("--host", "--port"):
            if not has_value:
                value = next(items, None)
                if value is None:
                    return None
            options[name[2:]] = value
        else:
            return None
    if not options["port"].isdigit() or not 0 <= int(options["port"]) <= 65535 or not options["host"]:
        return None
    from ..errors import OpsctlError

    try:
        return run_serve(options["host"], int(options["port"]), options["json"])
    except OpsctlError as exc:
        from . import _fail

        return _fail(exc.message, int(exc.exit_code), options["json"])


def run_serve(host: str, port: int, json_out: bool) -> int:
    from ..serve.auth import TOKEN_VARIABLE
    from ..serve.server import serve
    from ..settings import Settings

    settings = Settings.load()

    def ready(app):
        url = f"http://{app.host if ':' not in app.host else f'[{app.host}]'}:{app.port}"
        if json_out:
            import json

            sys.stdout.write(json.dumps({"ok": True, "url": url, "host": app.host, "port": app.port,
                                         "token_required_for_reads": app.reads_need_token,
                                         "writes_enabled": bool(app.token)}) + "\n")
            sys.stdout.flush()
        print(f"opsctl serve: listening on {url} — dashboard {url}/admin/operations"
              + ("" if app.token else f" (POST endpoints disabled until {TOKEN_VARIABLE} is set)"),
              file=sys.stderr, flush=True)

    return serve(settings, host=host, port=port, token=settings.get(TOKEN_VARIABLE), on_ready=ready)
