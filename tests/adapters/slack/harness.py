"""`SlackTeam`: one workspace driven through the real bolt app, signed the way Slack signs.

Requests go either straight into `bolt.dispatch(BoltRequest(...))` (transport "dispatch") or
over real HTTP into the WSGI app served by waitress on a loopback port (transport "http").
The bot's Web API calls land on a `FakeSlack`; the outbox is drained through the real
`SlackPort` pointed at it. Listeners run inline (a synchronous executor), so when a request
returns, everything it caused has happened.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from concurrent.futures import Executor, Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from adapters.slack.runtime import SlackRuntime
from bot import day
from bot.app import App
from bot.config import Settings
from bot.context import Ctx
from bot.outbox import Dispatcher
from bot.practice import Practice
from bot.store.models import Team
from tests.fakes.slack_api import Call, FakeSlack

FIXTURES = Path(__file__).with_name("fixtures")
BOT_TOKEN = "xoxb-1111-2222-SECRETbottoken"
APP_TOKEN = "xapp-1-A0FAKE-3333-SECRETapptoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "CPRACTICE"


class InlineExecutor(Executor):
    """Runs each listener to completion inside `submit`: deterministic tests of the ack-first code."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future like a real executor
            future.set_exception(exc)
        return future


def fixture(name: str, **overrides: Any) -> dict:
    """A payload fixture with top-level fields replaced (nested dicts merged one level deep)."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    return data


def sign(body: str | bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"), over the raw bytes."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if isinstance(body, str):  # the same as slack_sdk's own generator
        assert SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) == f"v0={digest}"
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def settings_for(fake: FakeSlack, db_url: str, **kw: Any) -> Settings:
    base = dict(database_url=db_url, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.url)
    base.update(kw)
    return Settings(**base)


class Response:
    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


class SlackTeam:
    def __init__(self, fake: FakeSlack, db, clock, library, *, transport: str = "dispatch",
                 settings: Settings | None = None, workspace: str = "T1", work: Executor | None = None,
                 views: Executor | None = None):
        self.fake, self.db, self.clock, self.library = fake, db, clock, library
        self.transport = transport
        self.workspace = workspace
        self.settings = settings or settings_for(fake, db.url)
        practice = Practice(db, clock, library, default_tz="UTC", admins=self.settings.admins,
                            command_prefix="/sensebot ")
        self.app = App(self.settings, db, library, practice)
        self.practice = practice
        self.runtime = SlackRuntime(self.app, socket_mode=False, port=0, host="127.0.0.1",
                                    listener_executor=work or InlineExecutor(), view_executor=views)
        self.bolt = self.runtime.bolt
        self.dispatcher = Dispatcher(db, clock, {"slack": self.runtime.port}, worker="slack-test", rng=random.Random(1))
        self._triggers = 0
        self._trigger_users: dict[str, str] = {}
        if transport == "http":
            self.runtime.start_background()

    def close(self) -> None:
        self.runtime.stop()

    # ------------------------------------------------------------------ sending requests

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.runtime.bound_port}"

    def send(self, body: str, content_type: str, headers: dict[str, str] | None = None,
             signed: bool = True) -> Response:
        hdrs = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        if self.transport == "http":
            return self.http("POST", "/slack/events", body.encode(), hdrs)
        resp = self.bolt.dispatch(BoltRequest(body=body, headers={k.lower(): v for k, v in hdrs.items()}))
        return Response(resp.status, resp.body)

    def http(self, method: str, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return Response(r.status, r.read().decode(), dict(r.headers.items()))
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read().decode(), dict(e.headers.items()))

    def send_json(self, payload: dict, headers: dict[str, str] | None = None) -> Response:
        return self.send(json.dumps(payload), "application/json", headers)

    def send_interaction(self, payload: dict) -> Response:
        return self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def _user(self, user: str) -> dict:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.workspace}

    def _trigger(self, user: str = "") -> str:
        self._triggers += 1
        trigger = f"{self._triggers}.738474920.trigger"
        self._trigger_users[trigger] = user
        return trigger

    # ------------------------------------------------------------------ what people do

    def command(self, user: str, text: str, channel: str = CHANNEL, **extra: Any) -> Response:
        body = fixture("slash_command", user_id=user, user_name=user.lower(), text=text, channel_id=channel,
                       team_id=self.workspace, trigger_id=self._trigger(user),
                       response_url=self.fake.response_url(f"cmd-{user}"), **extra)
        return self.send(urlencode(body), "application/x-www-form-urlencoded")

    def press(self, user: str, action: str, value: str = "", channel: str = CHANNEL, thread_ts: str = "",
              message_ts: str = "1795000000.000200") -> Response:
        container = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False}
        if thread_ts:
            container["thread_ts"] = thread_ts
        body = fixture("block_actions", user=self._user(user),
                       team={"id": self.workspace, "domain": "example"}, channel={"id": channel, "name": "practice"},
                       container=container, trigger_id=self._trigger(user),
                       response_url=self.fake.response_url(f"act-{user}"))
        body["actions"] = [{**body["actions"][0], "action_id": action, "value": value}]
        return self.send_interaction(body)

    def submit(self, user: str, view: dict, values: dict[str, str]) -> Response:
        """Submit a modal the bot opened (the `view` it sent to views.open), filled with `values` by field id."""
        state: dict[str, dict] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            el = block["element"]
            v = values.get(block["block_id"])
            if el["type"] == "static_select":
                opt = next((o for o in el["options"] if o["value"] == v), None)
                state[block["block_id"]] = {el["action_id"]: {"type": "static_select", "selected_option": opt}}
            else:
                state[block["block_id"]] = {el["action_id"]: {"type": el["type"], "value": v}}
        body = fixture("view_submission", user=self._user(user),
                       team={"id": self.workspace, "domain": "example"}, trigger_id=self._trigger(user))
        body["view"] = {**body["view"], "callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                        "blocks": view["blocks"], "state": {"values": state}}
        return self.send_interaction(body)

    def reply_in_thread(self, user: str, thread_ts: str, text: str, event_id: str, retry: int = 0,
                        channel: str = CHANNEL) -> Response:
        body = fixture("message_thread_reply", team_id=self.workspace, event_id=event_id)
        body["event"].update(user=user, text=text, thread_ts=thread_ts, channel=channel, team=self.workspace,
                             ts=f"{float(thread_ts) + 10 + len(event_id):.6f}")
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.send_json(body, headers)

    def dm(self, user: str, text: str, event_id: str) -> Response:
        body = fixture("message_im", team_id=self.workspace, event_id=event_id)
        body["event"].update(user=user, text=text, channel=f"D{user.lstrip('U')}", team=self.workspace)
        return self.send_json(body)

    # ------------------------------------------------------------------ the bot's side

    def opened(self, callback_id: str | None = None) -> dict:
        """The last form the bot showed in a modal (optionally: of this callback_id): opened at
        once (views.open) or filled into the "Loading…" modal opened for the press (views.update)."""
        views = [c.view for c in self.fake.calls() if c.method in ("views.open", "views.update") and c.ok]
        views = [v for v in views if v.get("callback_id") not in ("loading", "notice")
                 and (callback_id is None or v.get("callback_id") == callback_id)]
        assert views, f"no modal {callback_id or ''} was opened"
        return views[-1]

    def forms_shown(self) -> int:
        """How many forms the bot has shown (opened, or filled into a placeholder modal)."""
        return len([c for c in self.fake.calls() if c.method in ("views.open", "views.update") and c.ok
                    and c.view.get("callback_id") not in ("loading", "notice")])

    def notice(self) -> str:
        """The text of the last answer shown inside a modal instead of a form (an error, a note)."""
        views = [c for c in self.fake.calls("views.update", ok=True) if c.view.get("callback_id") == "notice"]
        assert views, "no answer was shown in a modal"
        return text_of(Call("views.update", {"blocks": views[-1].view["blocks"]}, {}, ""))

    def private_replies(self, user: str) -> list[Call]:
        """Replies only `user` could see: ephemeral posts, response_url answers to them, DMs, and
        answers shown in a modal opened for their press."""
        out = []
        views = {str((c.response or {}).get("view", {}).get("id")) for c in self.fake.calls("views.open", ok=True)
                 if self._trigger_users.get(str(c.params.get("trigger_id"))) == user}
        for c in self.fake.calls():
            if c.method == "views.update" and c.view.get("callback_id") == "notice" and c.params.get("view_id") in views:
                out.append(Call(c.method, {"blocks": c.view["blocks"]}, c.headers, c.path))
                continue
            if c.method == "chat.postEphemeral" and c.params.get("user") == user or c.method == "response_url" and c.path.endswith(f"-{user}") and c.params.get("response_type") == "ephemeral" or c.method == "chat.postMessage" and str(c.params.get("channel", "")) == f"D{user.lstrip('U')}":
                out.append(c)
        return out

    def last_private_text(self, user: str) -> str:
        replies = self.private_replies(user)
        assert replies, f"nobody answered {user} privately"
        return text_of(replies[-1])

    def team_id(self) -> int:
        with self.db.session() as s:
            return s.exec(select(Team.id).where(Team.platform == "slack", Team.workspace_id == self.workspace)).one()

    def tick(self) -> list[tuple[str, str]]:
        ran = self.practice.run_due(self.team_id())
        self.dispatcher.drain_all()
        return ran

    def advance_to(self, when: datetime) -> list[tuple[str, str]]:
        """Let time pass step by step up to `when`, running each step when it falls due (as the scheduler does)."""
        ran = []
        while True:
            with self.db.session() as s:
                team = s.get(Team, self.team_id())
                steps = [st for st in day.upcoming(Ctx(s, self.clock, self.library), team) if st.due <= when]
            if not steps:
                break
            self.clock.set(steps[0].due)
            ran += self.tick()
        self.clock.set(when)
        ran += self.tick()
        return ran

    def advance(self, **kw: Any) -> list[tuple[str, str]]:
        return self.advance_to(self.clock.now() + timedelta(**kw))


def text_of(call: Call) -> str:
    """All visible text of a posted message: fallback text plus every text in its blocks."""
    parts = [str(call.params.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for v in node.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(copy.deepcopy(call.blocks))
    return "\n".join(parts)
