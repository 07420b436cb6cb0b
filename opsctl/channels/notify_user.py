"""`notify_user`: the agent's hook, as a command (JSON on stdin) or a URL (JSON POST).

The command runs without a shell (split like a shell would, with shlex), in its own process
group, bounded by the delivery timeout; exit 0 means delivered. What it prints is kept out
of opsctl's stdout (which stays one JSON object) and only a scrubbed tail of stderr is kept
when it fails.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess

from .base import Channel, Outgoing, Permanent, Sent, Setting, Transient


class NotifyUserChannel(Channel):
    name = "notify_user"
    description = "the agent's notify_user hook: a command (JSON on stdin) or a URL (JSON POST)"
    settings = {
        "command": Setting("OPSCTL_NOTIFY_USER_CMD"),
        "url": Setting("OPSCTL_NOTIFY_USER_URL", secret=True),
        "secret": Setting("OPSCTL_WEBHOOK_SECRET", secret=True),
    }
    requires = (("command",), ("url",))

    def send(self, out: Outgoing, *, timeout: float) -> Sent:
        if self.values.get("command"):
            return self._run(out, timeout)
        from .http import post_json

        return post_json(self.values["url"], out.payload(), what=self.var("url"), secret=self.values.get("secret"),
                         timeout=timeout, delivery_id=out.delivery_id, event=out.purpose)

    def _run(self, out: Outgoing, timeout: float) -> Sent:
        what = self.var("command")
        try:
            argv = shlex.split(self.values["command"])
        except ValueError as exc:
            raise Permanent(f"{what} cannot be parsed ({exc}); quote it like a shell command") from None
        if not argv:
            raise Permanent(f"{what} is empty")
        from ..childenv import child_env

        env = child_env(OPSCTL_EVENT=out.purpose)
        if out.delivery_id is not None:
            env["OPSCTL_DELIVERY_ID"] = str(out.delivery_id)
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=env, start_new_session=True)
        except FileNotFoundError:
            raise Permanent(f"{what}: command not found: {argv[0]}") from None
        except PermissionError:
            raise Permanent(f"{what}: not executable: {argv[0]}") from None
        except OSError as exc:
            raise Transient(f"{what}: cannot start {argv[0]} ({exc.strerror})") from None
        data = json.dumps(out.payload(), ensure_ascii=False).encode()
        try:
            stdout, stderr = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise Transient(f"{what} did not finish within {timeout:.0f}s (killed)", later_only=True) from None
        if proc.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            from ..scrub import scrub

            detail = f": {scrub(tail[0])[:200]}" if tail[0] else ""
            raise Transient(f"{what} exited with status {proc.returncode}{detail}", later_only=True)
        first = stdout.decode("utf-8", "replace").strip().splitlines()[:1]
        return Sent(note=f"hook said: {first[0][:120]}" if first else "hook ran")


def _kill(proc: subprocess.Popen) -> None:
    """Kill the hook and anything it started (its own process group), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    try:
        proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:  # a grandchild left the group and kept our pipes open
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            if stream:
                stream.close()
        proc.wait(timeout=2)
