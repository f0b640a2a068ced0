"""SlackPort: what chat.postMessage gets, tokens per workspace, and Slack's errors as DeliveryErrors."""
from __future__ import annotations

import random
import socket
from datetime import timedelta

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlmodel import select

from adapters.slack.port import SlackPort
from bot.context import Ctx
from bot.events import Who
from bot.messages import Button, Message, Section
from bot.outbox import Dispatcher, enqueue
from bot.ports import DeliveryError
from bot.store.models import OutboxRow
from bot.teams import ensure_team
from tests.adapters.slack.harness import BOT_TOKEN

MSG = Message("Today's case: <b>", "Body & more", sections=(Section("S", "t"),), buttons=(Button("Answer", "answer", "3"),))


@pytest.fixture
def port(fake):
    return SlackPort(token=BOT_TOKEN, base_url=fake.url, timeout=5)


def test_post_sends_blocks_and_fallback_and_returns_the_ts(port, fake):
    ref = port.post("T1", "C1", MSG)
    call = fake.calls("chat.postMessage")[-1]
    assert ref == call.response["ts"]
    assert call.params["channel"] == "C1" and "thread_ts" not in call.params
    assert call.params["text"] == "Today's case: &lt;b&gt;\nBody &amp; more"
    assert [b["type"] for b in call.blocks] == ["header", "section", "section", "actions"]
    assert call.params["unfurl_links"] is False and "link_names" not in call.params
    assert call.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    port.post("T1", "C1", MSG, thread_ref=ref)
    assert fake.calls("chat.postMessage")[-1].params["thread_ts"] == ref


def test_direct_opens_a_dm_then_posts(port, fake):
    ref = port.direct("T1", "U7", MSG)
    assert [c.method for c in fake.calls()] == ["conversations.open", "chat.postMessage"]
    assert fake.calls("conversations.open")[0].params["users"] == "U7"
    assert fake.calls("chat.postMessage")[0].params["channel"] == "D7"
    assert ref == fake.calls("chat.postMessage")[0].response["ts"]


def test_429_carries_retry_after_and_the_client_does_not_retry_by_itself(port, fake):
    fake.fail_next(1, status=429, retry_after=7, methods=("chat.postMessage",))
    with pytest.raises(DeliveryError) as err:
        port.post("T1", "C1", MSG)
    assert err.value.retry_after == 7.0 and not err.value.permanent and "ratelimited" in err.value.reason
    assert len(fake.calls("chat.postMessage")) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
                                   "token_revoked", "missing_scope", "user_not_found", "cannot_dm_bot", "invalid_blocks"])
def test_errors_no_retry_can_fix_are_permanent(port, fake, error):
    fake.fail_next(1, status=200, error=error, retry_after=None)
    with pytest.raises(DeliveryError) as err:
        port.post("T1", "C1", MSG)
    assert err.value.permanent and error in err.value.reason and err.value.retry_after is None


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(port, fake, status):
    fake.fail_next(1, status=status, retry_after=None)
    with pytest.raises(DeliveryError) as err:
        port.post("T1", "C1", MSG)
    assert not err.value.permanent and str(status) in err.value.reason
    assert len(fake.calls("chat.postMessage")) == 1  # no hidden retries


def test_a_conversations_open_failure_is_mapped_too(port, fake):
    fake.fail_next(1, status=200, error="user_not_found", retry_after=None, methods=("conversations.open",))
    with pytest.raises(DeliveryError) as err:
        port.direct("T1", "U404", MSG)
    assert err.value.permanent and err.value.reason.startswith("conversations.open")
    assert fake.calls("chat.postMessage") == []


def test_connection_errors_are_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # nothing listens here once closed
    port = SlackPort(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{dead}/api/", timeout=2)
    with pytest.raises(DeliveryError) as err:
        port.post("T1", "C1", MSG)
    assert not err.value.permanent and BOT_TOKEN not in err.value.reason


def test_a_workspace_without_a_token_fails_permanently(fake):
    with pytest.raises(DeliveryError) as err:
        SlackPort(base_url=fake.url).post("T9", "C1", MSG)
    assert err.value.permanent and "not installed" in err.value.reason


def test_item10_with_oauth_an_uninstalled_workspace_never_falls_back_to_slack_bot_token(fake, db):
    from slack_sdk.oauth.installation_store.sqlalchemy import (
        SQLAlchemyInstallationStore,
    )
    store = SQLAlchemyInstallationStore(client_id="111.222", engine=db.engine)
    store.create_tables()
    store.save(Installation(app_id="A1", enterprise_id=None, team_id="T2", bot_token="xoxb-team-two-token",
                            bot_id="B2", bot_user_id="UB2", user_id="U1"))
    port = SlackPort(token=BOT_TOKEN, installation_store=store, base_url=fake.url)
    port.post("T2", "C1", MSG)
    with pytest.raises(DeliveryError) as err:  # no installation (uninstalled): not SLACK_BOT_TOKEN's to post
        port.post("T1", "C1", MSG)
    assert err.value.permanent and "not installed" in err.value.reason
    store.delete_all(enterprise_id=None, team_id="T2")  # uninstalled
    with pytest.raises(DeliveryError):
        port.post("T2", "C1", MSG)
    auth = [c.headers["authorization"] for c in fake.calls("chat.postMessage")]
    assert auth == ["Bearer xoxb-team-two-token"]


def test_a_429_is_retried_by_the_outbox_after_retry_after_and_delivered_once(port, fake, db, clock, library):
    with db.transaction() as s:
        ctx = Ctx(s, clock, library)
        team = ensure_team(ctx, Who("slack", "T1", "U1"))
        enqueue(ctx, team, target="C1", message=MSG, dedupe_key="k1")
    fake.fail_next(1, status=429, retry_after=30, methods=("chat.postMessage",))
    dispatcher = Dispatcher(db, clock, {"slack": port}, worker="w", rng=random.Random(1))
    assert dispatcher.drain() == 0
    with db.session() as s:
        row = s.exec(select(OutboxRow)).one()
        assert row.status == "pending" and "ratelimited" in row.error
        assert row.next_attempt_at.replace(tzinfo=None) == (clock.now() + timedelta(seconds=30)).replace(tzinfo=None)
    clock.advance(timedelta(seconds=29))
    assert dispatcher.drain() == 0 and len(fake.calls("chat.postMessage")) == 1  # not before Retry-After
    clock.advance(timedelta(seconds=1))
    assert dispatcher.drain() == 1
    assert dispatcher.drain_all() == 0
    assert len(fake.calls("chat.postMessage", ok=True)) == 1 and len(fake.calls("chat.postMessage", ok=False)) == 1
    with db.session() as s:
        row = s.exec(select(OutboxRow)).one()
        assert row.status == "sent" and row.message_ref == fake.calls("chat.postMessage", ok=True)[0].response["ts"]


def test_a_permanent_error_fails_the_row_at_once(port, fake, db, clock, library):
    with db.transaction() as s:
        ctx = Ctx(s, clock, library)
        enqueue(ctx, ensure_team(ctx, Who("slack", "T1", "U1")), target="CGONE", message=MSG, dedupe_key="k1")
    fake.fail_next(1, status=200, error="channel_not_found", retry_after=None)
    Dispatcher(db, clock, {"slack": port}, worker="w").drain()
    with db.session() as s:
        row = s.exec(select(OutboxRow)).one()
        assert row.status == "failed" and "channel_not_found" in row.error


def test_fail_rate_is_seeded_and_repeatable(fake):
    fake.fail_rate(0.5, status=500, retry_after=None)
    port = SlackPort(token=BOT_TOKEN, base_url=fake.url)
    outcomes = []
    for _ in range(20):
        try:
            port.post("T1", "C1", MSG)
            outcomes.append(True)
        except DeliveryError:
            outcomes.append(False)
    assert 3 < outcomes.count(False) < 17
    fake.reset()
    port.post("T1", "C1", MSG)
    assert fake.calls("chat.postMessage")[-1].ok
