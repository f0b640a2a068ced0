"""Slack over HTTP with worker processes (`SLACK_WORKERS`): the acking process acks, checks forms and
opens the form's window; a worker process does users.info, the core's transaction and the reply.

Each test starts a real worker process (spawned, so it imports the app afresh: a few seconds); the
waits bound a hang, they don't measure speed.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from adapters.slack.runtime import SlackRuntime
from bot import config
from bot.config import ConfigError
from tests.adapters.slack.harness import SlackTeam, settings_for

WAIT = 90.0  # seconds: a worker process starts (imports, content), then answers


def eventually(check: Callable[[], object], what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def served(fake, db, clock, library):
    """A workspace served over HTTP by a runtime with one worker process."""
    team = SlackTeam(fake, db, clock, library, settings=replace(settings_for(fake, db.url), slack_workers=1))
    team.runtime = SlackRuntime(team.app, socket_mode=False, port=0, host="127.0.0.1", workers=1)
    team.bolt, team.transport = team.runtime.bolt, "http"
    team.runtime.start_background()
    yield team
    team.runtime.stop()


def text_of(call) -> str:
    return json.dumps(call.params)


def test_the_acking_process_never_runs_the_core(served: SlackTeam, fake):
    """The command is answered by the worker: the acking process's core is never asked."""
    def not_here(event):
        raise AssertionError(f"the acking process ran the core for {event!r}")

    served.practice.handle = not_here
    assert served.command("U1", "help").status == 200
    reply = eventually(lambda: fake.calls("response_url"), "the worker's reply")
    assert "sensebot help" in text_of(reply[-1])
    assert any(c.params.get("user") == "U1" for c in fake.calls("users.info"))  # asked by the worker


def test_a_press_opens_the_window_at_once_and_the_worker_fills_it(served: SlackTeam, fake):
    """`/sensebot answer` opens "Loading…" from the acking process; the worker's answer replaces it."""
    assert served.command("U1", "answer").status == 200
    opened = eventually(lambda: fake.calls("views.open"), "views.open")
    view_id = opened[0].response["view"]["id"]
    updated = eventually(lambda: [c for c in fake.calls("views.update") if c.params.get("view_id") == view_id],
                         "the worker's views.update")
    assert "Loading" in text_of(opened[0])
    assert "Loading" not in text_of(updated[-1])  # the core's answer, in the same window


def test_a_worker_that_dies_is_replaced_and_the_next_command_is_answered(served: SlackTeam, fake):
    pool = served.runtime.pool
    first = pool.procs[0]
    first.kill()
    first.join(10)
    eventually(lambda: pool.procs[0] is not first and pool.procs[0].is_alive(), "a new worker")
    assert served.command("U2", "help").status == 200
    reply = eventually(lambda: fake.calls("response_url"), "the new worker's reply")
    assert "sensebot help" in text_of(reply[-1])


def test_healthz_says_unavailable_when_no_worker_runs(served: SlackTeam):
    assert served.http("GET", "/healthz").status == 200
    pool = served.runtime.pool
    pool._stopping.set()  # as when stopping: the watchdog replaces nobody
    for proc in pool.procs:
        proc.kill()
        proc.join(10)
    assert served.http("GET", "/healthz").status == 503


def test_stopping_lets_the_worker_finish_what_it_holds(served: SlackTeam, fake):
    """A deploy (SIGTERM) right after an ack: the worker answers before the process ends."""
    assert served.command("U3", "help").status == 200
    served.runtime.stop()
    assert any("sensebot help" in text_of(c) for c in fake.calls("response_url"))


@pytest.mark.parametrize("value", ["many", "-1", "17"])
def test_a_wrong_slack_workers_is_one_clear_sentence(value):
    with pytest.raises(ConfigError) as exc:
        config.load({"SLACK_WORKERS": value})
    assert "SLACK_WORKERS should be a number of processes from 0 to 16" in str(exc.value)


def test_slack_workers_defaults_to_one_process():
    assert config.load({}).slack_workers == 1
    assert config.load({"SLACK_WORKERS": "0"}).slack_workers == 0
