"""`opsctl.watch`: record, classify, notify and re-raise."""

from __future__ import annotations

import io
import urllib.error

import httpx
import pytest
import requests

import opsctl
from opsctl.classify import classify


def _requests_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} error", response=response)


def _httpx_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "http://127.0.0.1/x")
    return httpx.HTTPStatusError("boom", request=request, response=httpx.Response(status, request=request))


@pytest.mark.parametrize("exc,expected", [
    (_requests_error(429), "api_limit"),
    (_httpx_error(429), "api_limit"),
    (urllib.error.HTTPError("http://x", 429, "Too Many Requests", {}, io.BytesIO()), "api_limit"),
    (RuntimeError("Monthly quota exceeded for this key"), "api_limit"),
    (_requests_error(401), "auth_failure"),
    (_httpx_error(403), "auth_failure"),
    (urllib.error.HTTPError("http://x", 401, "Unauthorized", {}, io.BytesIO()), "auth_failure"),
    (RuntimeError("invalid_auth: credentials rejected"), "auth_failure"),
    (ModuleNotFoundError("No module named 'airtable'"), "integration_missing"),
    (RuntimeError("Airtable integration missing"), "integration_missing"),
    (_requests_error(500), "system_error"),
    (ZeroDivisionError("division by zero"), "system_error"),
])
def test_classification(exc, expected):
    assert classify(exc) == expected


def test_watch_records_and_reraises():
    with pytest.raises(ZeroDivisionError):
        with opsctl.watch(service="Scraper API", project="AU"):
            1 / 0
    [error] = opsctl.list_errors()["errors"]
    assert error["type"] == "system_error" and error["service"] == "Scraper API" and error["project"] == "AU"
    assert "ZeroDivisionError" in error["details"]
    assert error["status"] == "escalated" and error["options"]


def test_watch_as_decorator_classifies_http_429():
    @opsctl.watch(service="Scraper API")
    def scrape():
        raise _requests_error(429)

    with pytest.raises(requests.HTTPError):
        scrape()
    assert opsctl.list_errors()["errors"][0]["type"] == "api_limit"


def test_watch_never_masks_the_original_error(monkeypatch, capsys):
    monkeypatch.setenv("OPSCTL_DB", "/proc/forbidden/ledger.db")
    with pytest.raises(KeyError):
        with opsctl.watch(service="S"):
            raise KeyError("original")
    assert "could not record" in capsys.readouterr().err


def test_watch_passes_through_success():
    with opsctl.watch(service="S") as watcher:
        value = 42
    assert value == 42 and watcher.result is None and opsctl.list_errors()["errors"] == []
