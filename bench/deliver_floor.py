"""The HTTP floor of `opsctl deliver`: one keep-alive connection, the queued rows' bodies POSTed in turn.

  python bench/deliver_floor.py LEDGER URL [--claim NOW_ISO NEXT_ISO]

Plain python + http.client: read the queued rows, POST each one's notification JSON (the body
opsctl sends, with its headers) on one reused HTTPConnection, read each answer. Nothing is
written back. With --claim, the SQL floor of tick (bench/tick_floor.py) runs first, in this process.
"""

import http.client
import json
import sqlite3
import sys
import urllib.parse


def post_all(path: str, url: str) -> int:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT d.id, d.purpose, d.subject, p.payload FROM deliveries d"
                        " JOIN delivery_payloads p ON p.delivery_id = d.id WHERE d.status = 'queued' ORDER BY d.id")
    target = urllib.parse.urlsplit(url)
    client = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
    sent = 0
    for row_id, purpose, subject, payload in rows:
        body = dict(json.loads(payload)["notification"], purpose=purpose, subject=subject)
        client.request("POST", target.path, json.dumps(body, ensure_ascii=False).encode(), {
            "Content-Type": "application/json", "User-Agent": "floor", "X-Opsctl-Event": purpose,
            "X-Opsctl-Delivery": str(row_id), "Idempotency-Key": f"opsctl-delivery-{row_id}"})
        answer = client.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"HTTP {answer.status}")
        sent += 1
    return sent


if __name__ == "__main__":
    ledger, endpoint = sys.argv[1:3]
    if sys.argv[3:4] == ["--claim"]:
        from tick_floor import claim

        claim(ledger, sys.argv[4], sys.argv[5], "hooks")
    print(post_all(ledger, endpoint))
