"""`opsctl serve`: health, status, metrics, Prometheus, the operations dashboard, and ingestion over HTTP.

- `server`: the threading HTTP server (timeouts, bounded threads, body cap, SIGTERM, access log)
- `routes`: the path table and the request/response types handlers use
- `auth`: the bearer-token rules
- `health`: /api/health, /api/status, /api/metrics/*
- `prometheus`: the /metrics text (also written by `opsctl metrics --textfile`)
- `dashboard`, `incident`, `html`: the /admin pages; `badge`: /api/badge/<service>.svg
- `ingest`: POST /api/errors, /api/errors/{id}/decision, /api/alertmanager

Every figure is read from the ledger at request time, on a connection opened for the request:
short-lived CLI processes write, the server only reads what they wrote.
"""
