"""The loopback fakes, driven by the REAL slack_sdk / notion_client / requests clients."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
import requests
from notion_client import APIResponseError, Client
from notion_client.errors import APIErrorCode, RequestTimeoutError, UnknownHTTPResponseError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes.fixtures import fake_hook, fake_notion, fake_slack, loopback_env  # noqa: F401


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def slack(fake, **kw) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.api_url, **kw)


def notion(fake, **kw) -> Client:
    return Client(auth=fake.token, base_url=fake.url, **kw)


# ----------------------------------------------------------------- Slack Web API
def test_slack_post_thread_update(fake_slack):
    c = slack(fake_slack)
    first = c.chat_postMessage(channel="#general", text="deploy started", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "*deploy*"}}])
    assert first["ok"] and first["channel"] == "C000GENERAL"
    assert first["ts"] == "1700000000.000100" and first["message"]["text"] == "deploy started"
    # base_url without trailing slash works too (slack_sdk appends "/")
    reply = WebClient(token=fake_slack.token, base_url=fake_slack.url + "/api").chat_postMessage(
        channel="C000GENERAL", text="step 1", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    c.chat_update(channel="C000GENERAL", ts=first["ts"], text="deploy done")
    assert [m.text for m in fake_slack.messages] == ["deploy done", "step 1"]
    assert fake_slack.replies(first["ts"])[0].text == "step 1"
    assert fake_slack.message(first["ts"]).updates[0]["text"] == "deploy done"
    req = fake_slack.calls("chat.postMessage")[0]
    assert req.header("authorization") == f"Bearer {fake_slack.token}"
    assert req.body["blocks"][0]["type"] == "section"


def test_slack_auth_test_and_conversations_info(fake_slack):
    c = slack(fake_slack)
    assert c.auth_test()["user_id"] == "U0FAKEBOT"
    cid = fake_slack.add_channel("alerts")
    assert c.conversations_info(channel=cid)["channel"]["name"] == "alerts"


def test_slack_ok_false_errors(fake_slack):
    c = slack(fake_slack)
    with pytest.raises(SlackApiError) as e:
        c.chat_postMessage(channel="#nope", text="x")
    assert e.value.response["error"] == "channel_not_found"
    assert e.value.response.status_code == 200
    fake_slack.fail_next("chat.postMessage", ok_false="is_archived")
    with pytest.raises(SlackApiError) as e:
        c.chat_postMessage(channel="#general", text="x")
    assert e.value.response["error"] == "is_archived"
    assert fake_slack.messages == []


def test_slack_invalid_token_and_reject_auth(fake_slack):
    with pytest.raises(SlackApiError) as e:
        WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test()
    assert e.value.response["error"] == "invalid_auth"
    fake_slack.reject_auth = True
    with pytest.raises(SlackApiError) as e:
        slack(fake_slack).chat_postMessage(channel="#general", text="x")
    assert e.value.response["error"] == "invalid_auth"


def test_slack_429_is_not_retried_by_default(fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as e:
        slack(fake_slack).chat_postMessage(channel="#general", text="x")
    resp = e.value.response
    assert resp.status_code == 429 and resp["error"] == "ratelimited"
    assert resp.headers["Retry-After"] == "7"
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_slack_500_non_json_body(fake_slack):
    fake_slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as e:
        slack(fake_slack).chat_postMessage(channel="#general", text="x")
    assert e.value.response.status_code == 500
    assert "non-JSON" in e.value.response["error"]
    assert fake_slack.pending_faults() == 0


def test_slack_hang_times_out_and_stop_does_not_block(fake_slack):
    fake_slack.hang_next("chat.postMessage")  # until stop()
    with pytest.raises(TimeoutError):  # socket.timeout from urllib, not wrapped, not retried
        slack(fake_slack, timeout=0.3).chat_postMessage(channel="#general", text="x")
    stopper = threading.Thread(target=fake_slack.stop)
    stopper.start()
    stopper.join(timeout=60)  # a guard against a deadlock, not a speed limit
    assert not stopper.is_alive()
    assert len(fake_slack.calls("chat.postMessage")) == 1


# ------------------------------------------------------------ Slack webhooks
def test_slack_webhook_ok_and_errors(fake_slack):
    hook = WebhookClient(fake_slack.webhook_url)
    resp = hook.send(text="hello")
    assert (resp.status_code, resp.body) == (200, "ok")
    assert fake_slack.messages[0].via == "webhook"
    fake_slack.fail_next("webhook", status=429, retry_after=3)
    resp = hook.send(text="again")  # WebhookClient returns errors, it does not raise
    assert (resp.status_code, resp.body, resp.headers["Retry-After"]) == (429, "rate_limited", "3")
    assert hook.send_dict({}).status_code == 400
    assert WebhookClient(fake_slack.url + "/services/T0/B0/bad").send(text="x").body == "no_service"
    assert len(fake_slack.messages) == 1


# ------------------------------------------------------------------- Notion
def test_notion_database_and_data_source_resolution(fake_notion):
    db = fake_notion.add_database("Incidents", {"Name": {"title": {}}, "Key": {"rich_text": {}}})
    c = notion(fake_notion)
    got = c.databases.retrieve(database_id=db["id"].replace("-", "").upper())
    assert got["id"] == db["id"] and got["data_sources"][0]["name"] == "Incidents"
    ds = c.data_sources.retrieve(data_source_id=got["data_sources"][0]["id"])
    assert set(ds["properties"]) == {"Name", "Key"}
    with pytest.raises(APIResponseError) as e:  # a database id is not a data source id
        c.data_sources.retrieve(data_source_id=db["id"])
    assert (e.value.status, e.value.code) == (404, APIErrorCode.ObjectNotFound)
    req = fake_notion.calls("databases.retrieve")[0]
    assert req.header("notion-version") == "2025-09-03"


def test_notion_page_create_query_update(fake_notion):
    db = fake_notion.add_database("Ops", {"Name": {"title": {}}, "Key": {"rich_text": {}},
                                          "State": {"select": {}}})
    ds_id = db["data_sources"][0]["id"]
    c = notion(fake_notion)
    page = c.pages.create(
        parent={"type": "data_source_id", "data_source_id": ds_id},
        properties={"Name": {"title": [{"text": {"content": "disk full"}}]},
                    "Key": {"rich_text": [{"text": {"content": "INC-1"}}]}},
        children=[{"type": "paragraph",
                   "paragraph": {"rich_text": [{"text": {"content": "details"}}]}}])
    assert fake_notion.prop(page["id"], "Name") == "disk full"
    assert fake_notion.children(page["id"])[0]["type"] == "paragraph"
    c.pages.create(parent={"database_id": db["id"]},  # single data source: allowed
                   properties={"Name": {"title": [{"text": {"content": "other"}}]}})
    hits = c.data_sources.query(data_source_id=ds_id,
                                filter={"property": "Key", "rich_text": {"equals": "INC-1"}})
    assert [p["id"] for p in hits["results"]] == [page["id"]]
    c.pages.update(page_id=page["id"], properties={"State": {"select": {"name": "closed"}}})
    assert fake_notion.prop(page["id"], "State") == "closed"
    with pytest.raises(APIResponseError) as e:
        c.pages.update(page_id=page["id"], properties={"Nope": {"rich_text": []}})
    assert e.value.code == APIErrorCode.ValidationError


def test_notion_create_database_under_page(fake_notion):
    parent = fake_notion.add_page("Ops home")
    c = notion(fake_notion)
    db = c.databases.create(parent={"type": "page_id", "page_id": parent},
                            title=[{"type": "text", "text": {"content": "Ledger"}}],
                            initial_data_source={"properties": {"Name": {"title": {}}}})
    assert db["object"] == "database" and db["data_sources"][0]["name"] == "Ledger"
    multi = fake_notion.add_database("Multi", data_sources=2)
    with pytest.raises(APIResponseError) as e:
        c.pages.create(parent={"database_id": multi["id"]}, properties={})
    assert e.value.status == 400


def test_notion_text_and_block_limits(fake_notion):
    parent = fake_notion.add_page()
    c = notion(fake_notion)

    def para(text):
        return {"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": text}}]}}

    c.pages.create(parent={"page_id": parent}, properties={
        "title": {"title": [{"text": {"content": "x" * 2000}}]}}, children=[para("a")] * 100)
    with pytest.raises(APIResponseError) as e:
        c.pages.create(parent={"page_id": parent}, properties={
            "title": {"title": [{"text": {"content": "x" * 2001}}]}})
    assert e.value.status == 400 and e.value.code == APIErrorCode.ValidationError
    assert "2000" in str(e.value)
    with pytest.raises(APIResponseError) as e:
        c.pages.create(parent={"page_id": parent}, properties={}, children=[para("a")] * 101)
    assert "body.children.length" in str(e.value)
    with pytest.raises(APIResponseError):
        c.blocks.children.append(block_id=parent, children=[para("y" * 2001)])
    c.blocks.children.append(block_id=parent, children=[para("b")] * 100)
    assert len(fake_notion.children(parent)) == 100


def test_notion_auth_errors(fake_notion):
    with pytest.raises(APIResponseError) as e:
        Client(auth="ntn_wrong", base_url=fake_notion.url).users.me()
    assert (e.value.status, e.value.code) == (401, APIErrorCode.Unauthorized)
    fake_notion.reject_auth = True
    with pytest.raises(APIResponseError):
        notion(fake_notion).users.me()


def test_notion_429_retry_after(fake_notion):
    parent = fake_notion.add_page()
    fake_notion.fail_next("pages.create", status=429, retry_after=0)
    page = notion(fake_notion).pages.create(parent={"page_id": parent}, properties={})
    assert page["object"] == "page" and len(fake_notion.calls("pages.create")) == 2
    fake_notion.fail_next("pages.create", status=429, retry_after=30)
    with pytest.raises(APIResponseError) as e:
        notion(fake_notion, retry=False).pages.create(parent={"page_id": parent}, properties={})
    assert e.value.code == APIErrorCode.RateLimited and e.value.headers["retry-after"] == "30"


def test_notion_5xx(fake_notion):
    db = fake_notion.add_database()
    c = notion(fake_notion)
    fake_notion.fail_next("pages.create", status=500, retry_after=0)
    with pytest.raises(APIResponseError) as e:  # POST: never retried on 5xx
        c.pages.create(parent={"database_id": db["id"]}, properties={})
    assert e.value.code == APIErrorCode.InternalServerError
    assert len(fake_notion.calls("pages.create")) == 1
    fake_notion.fail_next("databases.retrieve", status=503, retry_after=0)
    assert c.databases.retrieve(database_id=db["id"])["id"] == db["id"]  # GET: retried
    fake_notion.fail_next("databases.retrieve", status=502)
    with pytest.raises(UnknownHTTPResponseError) as e:  # HTML body, unknown code, no retry
        c.databases.retrieve(database_id=db["id"])
    assert e.value.status == 502 and len(fake_notion.calls("databases.retrieve")) == 3


def test_notion_hang_is_request_timeout(fake_notion):
    fake_notion.hang_next("users.me", seconds=30)
    with pytest.raises(RequestTimeoutError):
        notion(fake_notion, timeout_ms=300).users.me()


# --------------------------------------------------------------------- hook
def test_hook_records_and_faults(fake_hook):
    r = requests.post(fake_hook.hook_url, json={"user": "ana", "event": "paged"},
                      headers={"X-Opsctl-Event": "notify"}, timeout=5)
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert fake_hook.bodies == [{"user": "ana", "event": "paged"}]
    assert fake_hook.received[0].header("x-opsctl-event") == "notify"
    fake_hook.fail_next("/hook", status=503, retry_after=2)
    r = httpx.post(fake_hook.hook_url, json={"n": 2})
    assert (r.status_code, r.headers["retry-after"]) == (503, "2")
    fake_hook.hang_next("*", seconds=30)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(fake_hook.hook_url, json={"n": 3}, timeout=0.3)
    assert len(fake_hook.requests) == 3 and len(fake_hook.received) == 1


def test_hook_token(fake_hook):
    fake_hook.token = "s3cret"
    assert httpx.post(fake_hook.hook_url, json={}).status_code == 401
    ok = httpx.post(fake_hook.hook_url, json={}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and len(fake_hook.received) == 1
