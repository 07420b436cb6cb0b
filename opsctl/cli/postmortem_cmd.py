"""`opsctl postmortem error-12`: the post-incident record as markdown."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from .output import JsonFlag, console, emit_json



def postmortem(
    error_id: Annotated[str, typer.Argument(help="error-12 or 12.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the markdown to this file.")] = None,
    json_out: JsonFlag = False,
):
    """Render cause, detection, resolution, prevention and the timeline of an error as markdown.

    Fill the gaps with update-error --cause/--detection/--solution/--prevention.

    Example: opsctl postmortem error-12 --output docs/incidents/error-12.md
    """
    from ..errors import OperationalFailure
    from ..reports.postmortem import postmortem as run

    result = run(error_id)
    if output is not None:
        try:
            output.write_text(result["markdown"], encoding="utf-8")
        except OSError as exc:
            raise OperationalFailure(f"cannot write {output}: {exc.strerror or exc}") from None
        result["output"] = str(output)
    if json_out:
        emit_json(result)
        return
    if output is not None:
        typer.echo(f"{result['id']}: postmortem written to {output}"
                   + (f" (missing: {', '.join(result['missing'])})" if result["missing"] else ""))
        return
    if console().is_terminal:
        from rich.markdown import Markdown

        console().print(Markdown(result["markdown"]))
    else:
        typer.echo(result["markdown"], nl=False)
