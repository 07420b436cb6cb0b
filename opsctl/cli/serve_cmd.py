"""`opsctl serve` (the HTTP server) and `opsctl metrics` (the Prometheus text, no server needed)."""

import sys
from typing import Annotated, Optional

import typer

from .output import JsonFlag, emit_json


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs OPSCTL_SERVE_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port).", min=0, max=65535)] = 8080,
    json_out: JsonFlag = False,
):
    """Serve health, status, Prometheus metrics, the operations dashboard and HTTP ingestion.

    Reads are open on loopback; writes (POST) always need `Authorization: Bearer $OPSCTL_SERVE_TOKEN`.
    Stops cleanly on SIGTERM. Example: opsctl serve --port 8080, then open http://127.0.0.1:8080/admin/operations
    """
    from .serve_fast import run_serve

    return run_serve(host, port, json_out)


def metrics(
    textfile: Annotated[Optional[str], typer.Option("--textfile", help="Write the text to this file atomically (for node_exporter's textfile collector).")] = None,
    json_out: JsonFlag = False,
):
    """Print the Prometheus metrics of the ledger, or write them to a file for node_exporter.

    Example (cron): opsctl metrics --textfile /var/lib/node_exporter/textfile/opsctl.prom
    """
    from ..context import Context
    from ..serve.prometheus import render

    ctx = Context()
    try:
        text = render(ctx.conn)
    finally:
        ctx.close()
    if textfile:
        from ..serve.textfile import write

        target = write(textfile, text)
        if json_out:
            emit_json({"ok": True, "textfile": str(target), "families": text.count("# TYPE "),
                       "bytes": len(text.encode("utf-8"))})
        return
    if json_out:
        emit_json({"ok": True, "text": text, "families": text.count("# TYPE ")})
        return
    sys.stdout.write(text)
