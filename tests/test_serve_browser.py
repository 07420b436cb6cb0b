"""The operations dashboard in a real headless Chromium: rendered DOM, refresh, a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tests.serve_support import served  # noqa: F401 - fixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    assert Path(CHROMIUM).exists(), "chromium missing: run .ci/run (it installs it)"
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
         "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, HOME=str(tmp_path)))


def test_dashboard_renders_open_errors_in_chromium(served, cli, tmp_path):
    served.post("/api/errors", {"type": "api_limit", "service": "Scraper API", "impact": "blocking",
                                "details": "Free tier limit reached (1000/1000 requests)",
                                "options": ["New API key", "Upgrade account"]})
    served.post("/api/errors", {"type": "auth_failure", "service": "CRM <sync>", "impact": "warning",
                                "details": "token expired"})
    for n in range(3):
        cli("run", "nightly-scrape", "--", "python3", "-c", f"print('{{\"rows\": {100 + n * 10}, \"valid_pct\": {95 + n}}}')")
    url = f"{served.url}/admin/operations"
    dom = _chromium(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'http-equiv="refresh" content="30"' in html
    assert "error-1" in html and "Scraper API" in html and "error-2" in html
    assert "CRM &lt;sync&gt;" in html  # escaped in the DOM, not parsed as a tag
    assert 'class="badge bad">outage<' in html and "New API key" in html and "nightly-scrape" in html
    assert 'id="open-blocking">1<' in html and "valid_pct" in html and "<svg" in html
    shot = tmp_path / "dashboard.png"
    taken = _chromium(tmp_path, "--window-size=1280,1100", f"--screenshot={shot}", url)
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    phone = tmp_path / "dashboard-phone.png"
    taken = _chromium(tmp_path, "--window-size=390,844", f"--screenshot={phone}", url)
    assert taken.returncode == 0 and phone.stat().st_size > 5_000
    if os.environ.get("UPDATE_DASHBOARD_SCREENSHOT"):  # refresh the picture in docs/ for people to look at
        (REPO / "docs" / "img").mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "img" / "dashboard.png")
        shutil.copy(phone, REPO / "docs" / "img" / "dashboard-phone.png")
    # the page fetched nothing but serve itself: every request in the access log came from this server
    log = served.log()
    assert "/admin/static/operations.css" in log and "/admin/static/operations.js" in log
