"""Which module defines which command, so a call imports only what it runs."""

from __future__ import annotations

import importlib

# command name -> module with a `register(app)` function
COMMANDS: dict[str, str] = {
    "notify-error": "opsctl.cli.runbook",
    "request-integration": "opsctl.cli.runbook",
    "track-error": "opsctl.cli.runbook",
    "update-error": "opsctl.cli.runbook",
    "log-improvement": "opsctl.cli.runbook",
    "errors": "opsctl.cli.errors_cmd",
    "requests": "opsctl.cli.requests_cmd",
    "improvements": "opsctl.cli.improvements_cmd",
}

HELP = """Catch operational problems, reach the right person with options, track them to resolution.

Every command takes --json (one JSON object on stdout). Exit codes: 0 recorded, 1 operational failure,
2 invalid input (nothing written). Add --debug for a traceback."""


def build_app(argv: list[str]):
    import typer

    app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False,
                      context_settings={"help_option_names": ["-h", "--help"]}, pretty_exceptions_enable=False)

    @app.callback()
    def _root():
        """opsctl: the ops ledger and its notifications."""

    wanted = _first_command(argv)
    modules = [COMMANDS[wanted]] if wanted in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        importlib.import_module(module).register(app)
    return app


def _first_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None
