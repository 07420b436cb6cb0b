"""Which module defines which command, so a call imports only what it runs."""

from __future__ import annotations

import importlib

# command name -> "module:function" for a single command, or a module that defines a group:
# its HELP text and SUBCOMMANDS (subcommand name -> function)
COMMANDS: dict[str, str] = {
    "notify-error": "opsctl.cli.runbook:notify_error",
    "request-integration": "opsctl.cli.runbook:request_integration",
    "track-error": "opsctl.cli.runbook:track_error",
    "update-error": "opsctl.cli.runbook:update_error",
    "log-improvement": "opsctl.cli.runbook:log_improvement",
    "errors": "opsctl.cli.errors_cmd",
    "requests": "opsctl.cli.requests_cmd",
    "improvements": "opsctl.cli.improvements_cmd",
    "run": "opsctl.cli.run_cmd:run",
    "jobs": "opsctl.cli.jobs_cmd",
    "quota": "opsctl.cli.quota_cmd",
    "integrations": "opsctl.cli.integrations_cmd",
    "probe": "opsctl.cli.probe_cmd:probe",
    "tick": "opsctl.cli.tick_cmd:tick",
    "decide": "opsctl.cli.decide_cmd:decide",
    "ack": "opsctl.cli.decide_cmd:ack",
    "wait": "opsctl.cli.decide_cmd:wait",
    "stats": "opsctl.cli.stats_cmd:stats",
    "digest": "opsctl.cli.stats_cmd:digest",
    "postmortem": "opsctl.cli.postmortem_cmd:postmortem",
    "deliver": "opsctl.cli.outbox_cmd:deliver",
    "outbox": "opsctl.cli.outbox_cmd",
    "channels": "opsctl.cli.channels_cmd",
    "notion": "opsctl.cli.notion_cmd",
    "silence": "opsctl.cli.silence_cmd",
    "snooze": "opsctl.cli.snooze_cmd:snooze",
    "rules": "opsctl.cli.rules_cmd",
    "doctor": "opsctl.cli.doctor_cmd:doctor",
    "slack": "opsctl.cli.slack_cmd",
    "heartbeat": "opsctl.cli.slack_cmd:heartbeat",
    "completion": "opsctl.cli.completion_cmd:completion",
    "serve": "opsctl.cli.serve_cmd:serve",
    "metrics": "opsctl.cli.serve_cmd:metrics",
    "ledger": "opsctl.cli.ledger_cmd",
}

HELP = """Catch operational problems, reach the right person with options, track them to resolution.

Every command takes --json (one JSON object on stdout), before or after the command, and
--format table|tsv|csv|json (piped, tables print as tab-separated rows). Exit codes: 0 recorded,
1 operational failure, 2 invalid input (nothing written). Add --debug for a traceback, --version
for the version."""


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


def build_app(argv: list[str]):
    """The typer app with the command `argv` names (every command when it names none)."""
    import typer

    # plain help (no rich markup rendering): --help is what agents and people call most after a command
    app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                      context_settings=HELP_OPTIONS, pretty_exceptions_enable=False)

    @app.callback()
    def _root():
        """opsctl: the ops ledger and its notifications."""

    wanted = _first_command(argv)
    targets = {wanted: COMMANDS[wanted]} if wanted in COMMANDS else COMMANDS
    for name, target in targets.items():
        module_name, _, function = target.partition(":")
        module = importlib.import_module(module_name)
        if function:
            app.command(name)(getattr(module, function))
        else:
            group = typer.Typer(help=module.HELP, no_args_is_help=True, rich_markup_mode=None)
            for sub_name, sub_function in module.SUBCOMMANDS.items():
                group.command(sub_name)(sub_function)
            app.add_typer(group, name=name)
    return app


def overview():
    """`opsctl --help`: the list of commands and their one-line help, as the full app prints it.

    Turning every command's signature into click options (what typer does for the full app) is most
    of that help's time and none of its text: here each command is only its name and help text."""
    import inspect

    from typer.core import TyperCommand, TyperGroup

    commands, groups = {}, {}
    for name, target in COMMANDS.items():
        module_name, _, function = target.partition(":")
        module = importlib.import_module(module_name)
        text = inspect.getdoc(getattr(module, function)) if function else module.HELP
        (commands if function else groups)[name] = TyperCommand(name, help=text, rich_markup_mode=None)
    commands.update(groups)  # typer lists the single commands first, then the groups
    return TyperGroup(name="opsctl", commands=commands, help=HELP, no_args_is_help=True, rich_markup_mode=None,
                      context_settings=HELP_OPTIONS)


def _first_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None
