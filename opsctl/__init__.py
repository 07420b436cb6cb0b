"""opsctl: catch operational problems, reach the right person, track them to resolution.

    from opsctl import notify_error, watch
    notify_error("api_limit", "Scraper API", "1000/1000 requests", "blocking",
                 ["New API key", "Upgrade account"])
    with watch(service="Scraper API", project="AU Real Estate Research"):
        scrape()

Names are imported lazily so `import opsctl` stays cheap for the CLI.
"""

__version__ = "0.2.0"

_EXPORTS = {
    "notify_error": "opsctl.api.errors",
    "track_error": "opsctl.api.errors",
    "update_error": "opsctl.api.errors",
    "list_errors": "opsctl.api.listing",
    "iter_errors": "opsctl.api.listing",
    "show_error": "opsctl.api.errors",
    "request_integration": "opsctl.api.requests",
    "decide_request": "opsctl.api.requests",
    "list_requests": "opsctl.api.listing",
    "show_request": "opsctl.api.requests",
    "log_improvement": "opsctl.api.improvements",
    "list_improvements": "opsctl.api.listing",
    "decide": "opsctl.api.decisions",
    "acknowledge": "opsctl.api.decisions",
    "wait_for": "opsctl.api.decisions",
    "tick": "opsctl.escalation.tick",
    "stats": "opsctl.reports.stats",
    "digest": "opsctl.reports.digest",
    "postmortem": "opsctl.reports.postmortem",
    "show_improvement": "opsctl.reports.effectiveness",
    "watch": "opsctl.watch",
    "classify": "opsctl.classify",
    "Context": "opsctl.context",
    "Settings": "opsctl.settings",
    "OpsctlError": "opsctl.errors",
    "InvalidInput": "opsctl.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'opsctl' has no attribute {name!r}")
