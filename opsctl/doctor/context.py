"""A Context for doctor that survives a broken .env (the problem becomes a finding instead)."""

from __future__ import annotations

import os

from ..context import Context
from ..errors import OpsctlError
from ..settings import Settings


def doctor_context() -> Context:
    try:
        settings = Settings.load()
        problem = None
    except OpsctlError as exc:
        settings, problem = Settings(env=dict(os.environ)), exc.message
    ctx = Context(settings)
    ctx.dotenv_problem = problem
    return ctx
