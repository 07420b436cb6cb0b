"""`opsctl metrics --textfile PATH`: the /metrics text written atomically for node_exporter.

node_exporter's textfile collector reads every `*.prom` file in its folder; a half-written file
would be read as garbage, so the text goes to a temporary file in the same folder first and is
renamed over the target (an atomic replace on POSIX).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InvalidInput, OperationalFailure


def write(path: str | os.PathLike, text: str) -> Path:
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInput(f"--textfile {target} is a folder; give a file name such as {target / 'opsctl.prom'}")
    folder = target.parent
    if not folder.is_dir():
        raise InvalidInput(f"--textfile: the folder {folder} does not exist")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)  # node_exporter usually runs as another user; metrics carry no secrets
            os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise OperationalFailure(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
