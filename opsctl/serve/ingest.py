"""Reports coming in over HTTP: POST /api/errors, /api/errors/{id}/decision, /api/alertmanager.

Each calls the same library function as the CLI (notify_error, decide, update_error) with the
HTTP client as the actor, so validation, de-duplication, the outbox and the exit semantics are
the CLI's: invalid input is a 400 with the failure object, and nothing is written.
"""

from __future__ import annotations

from ..errors import InvalidInput, NotFound
from .routes import Response, failure, json_response

ERROR_FIELDS = ("type", "service", "details", "impact", "options", "project", "recommendation")
SEVERITY_IMPACT = {"critical": "blocking", "warning": "warning"}
ALERT_SOURCE = "alertmanager"


def _strings(body: dict, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(unknown)}; valid: {', '.join(allowed)}")
    for name in required:
        if body.get(name) in (None, ""):
            raise InvalidInput(f"missing {name}; send it as a JSON string")
    for name, value in body.items():
        if name == "options":
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)) and value is not None:
                raise InvalidInput("options must be a list of strings, e.g. [\"New API key\", \"Upgrade account\"]")
        elif value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string, not {type(value).__name__}")
    return body


def errors_view(app, request) -> Response:
    from ..api.errors import notify_error

    try:
        body = _strings(request.json(), ERROR_FIELDS, ("type", "service"))
        ctx = app.context(request)
        try:
            result = notify_error(body["type"], body["service"], body.get("details") or "",
                                  body.get("impact") or "blocking", body.get("options"),
                                  project=body.get("project"), recommendation=body.get("recommendation"),
                                  source="http", ctx=ctx)
        finally:
            ctx.close()
    except InvalidInput as exc:
        return _invalid(exc)
    return json_response(200 if result["deduplicated"] else 201, result)


def decision_view(app, request, error_id: str) -> Response:
    from ..api.decisions import decide

    form = request.form()
    try:
        if form:
            body = {"option": form.get("option"), "note": form.get("note") or None}
        else:
            body = request.json()
            unknown = sorted(set(body) - {"option", "note"})
            if unknown:
                raise InvalidInput(f"unknown field(s) {', '.join(unknown)}; valid: option, note")
        option, note = body.get("option"), body.get("note")
        if isinstance(option, bool) or not isinstance(option, (int, str)) or option == "":
            raise InvalidInput("option must be the option's number or its text, e.g. {\"option\": 2}")
        if note is not None and not isinstance(note, str):
            raise InvalidInput("note must be a string")
        if str(error_id).lower().startswith("req"):
            raise InvalidInput("this endpoint decides errors (error-N); requests are decided with opsctl decide")
        ctx = app.context(request)
        try:
            result = decide(error_id, option, note=note, ctx=ctx)
        finally:
            ctx.close()
    except InvalidInput as exc:
        return _invalid(exc)
    if form:  # the dashboard's form, without JavaScript: back to the incident page
        return Response(303, b"", "text/plain", {"Location": f"/admin/errors/{result['id']}"})
    return json_response(200, result)


def alertmanager_view(app, request) -> Response:
    try:
        payload = request.json()
        alerts = _alerts(payload)
        ctx = app.context(request)
        try:
            outcomes = [_apply(ctx, alert) for alert in alerts]
        finally:
            ctx.close()
    except InvalidInput as exc:
        return _invalid(exc)
    return json_response(200, {"ok": True, "alerts": outcomes})


def _alerts(payload: dict) -> list[dict]:
    """Validate the whole webhook before anything is written; one plain dict per alert."""
    if str(payload.get("version", "4")) != "4":
        raise InvalidInput(f"unsupported Alertmanager webhook version {payload.get('version')!r}; valid: 4")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidInput("an Alertmanager webhook carries `alerts`: a list of alerts")
    group = payload.get("commonLabels") if isinstance(payload.get("commonLabels"), dict) else {}
    parsed = []
    for n, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise InvalidInput(f"alerts[{n}] must be an object")
        labels, annotations = alert.get("labels") or {}, alert.get("annotations") or {}
        if not isinstance(labels, dict) or not isinstance(annotations, dict):
            raise InvalidInput(f"alerts[{n}]: labels and annotations must be objects")
        labels = {str(k): str(v) for k, v in {**group, **labels}.items()}
        state = alert.get("status") or payload.get("status")
        if state not in ("firing", "resolved"):
            raise InvalidInput(f"alerts[{n}].status {state!r}; valid: firing, resolved")
        service = labels.get("service") or labels.get("job") or labels.get("alertname")
        if not service:
            raise InvalidInput(f"alerts[{n}] has no service, job or alertname label")
        from ..vocab import ERROR_TYPES

        kind = labels.get("type") if labels.get("type") in ERROR_TYPES else "system_error"
        alertname = labels.get("alertname")
        project = labels.get("project") or (alertname if alertname and alertname != service else None)
        details = "; ".join(f"{k}: {v}" for k, v in sorted(annotations.items()) if str(v).strip())
        parsed.append({"status": state, "service": service, "type": kind, "project": project,
                       "impact": SEVERITY_IMPACT.get(labels.get("severity", "").lower(), "info"),
                       "details": details or alertname or "alert firing", "fingerprint": alert.get("fingerprint")})
    return parsed


def _apply(ctx, alert: dict) -> dict:
    from ..api.errors import notify_error, update_error
    from ..ids import format_id
    from ..ledger import errors_table

    if alert["status"] == "firing":
        result = notify_error(alert["type"], alert["service"], alert["details"], alert["impact"],
                              project=alert["project"], source=ALERT_SOURCE, ctx=ctx)
        return {"fingerprint": alert["fingerprint"], "id": result["id"],
                "action": "absorbed" if result["deduplicated"] else "created", "status": result["status"]}
    row = errors_table.find_open(ctx.conn, errors_table.fingerprint(alert["type"], alert["service"], alert["project"]))
    if row is None:
        return {"fingerprint": alert["fingerprint"], "id": None, "action": "ignored", "status": None}
    result = update_error(row["id"], "resolved", solution="resolved in Alertmanager",
                          note="Alertmanager reported the alert resolved", ctx=ctx)
    return {"fingerprint": alert["fingerprint"], "id": format_id("error", row["id"]), "action": "resolved",
            "status": result["status"]}


def _invalid(exc: InvalidInput) -> Response:
    if isinstance(exc, NotFound):
        return failure(404, exc.message, "not_found")
    return failure(400, exc.message, getattr(exc, "code", None) or "invalid_input")
