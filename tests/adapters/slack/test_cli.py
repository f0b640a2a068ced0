"""`sensebot slack`: settings checked first (exit 2 with a sentence), then a real process serving HTTP."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot import cli
from tests.adapters.slack.harness import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    fixture,
    sign,
)

ROOT = Path(__file__).parents[3]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith(("SLACK_", "SENSEBOT_", "DISCORD_")):
            monkeypatch.delenv(k)
    monkeypatch.setenv("SENSEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return monkeypatch


def test_http_without_a_signing_secret_exits_2_with_a_sentence(clean_env, capsys):
    clean_env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert cli.main(["slack", "--http", "--port", "0"]) == 2
    assert "SLACK_SIGNING_SECRET is not set" in capsys.readouterr().err


def test_socket_mode_without_an_app_token_exits_2(clean_env, capsys):
    clean_env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert cli.main(["slack"]) == 2
    assert "SLACK_APP_TOKEN is not set" in capsys.readouterr().err


def test_a_refused_token_exits_2_with_a_sentence(clean_env, capsys, fake):
    fake.fail_next(1, status=200, error="invalid_auth", retry_after=None, methods=("auth.test",))
    clean_env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    clean_env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    clean_env.setenv("SLACK_API_URL", fake.url)
    assert cli.main(["slack", "--http", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in err and BOT_TOKEN not in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def test_sensebot_slack_http_serves_events_and_healthz_and_stops_on_sigterm(fake, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SENSEBOT_", "DISCORD_"))}
    env.update(SENSEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'web.db'}", SENSEBOT_LOG_LEVEL="DEBUG",
               SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_APP_TOKEN=APP_TOKEN,
               SLACK_API_URL=fake.url, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--http", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while get(f"http://127.0.0.1:{port}/healthz") != 200:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.1)
        body = urlencode(fixture("slash_command", text="help", response_url=fake.response_url("cli")))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200
        deadline = time.monotonic() + 60  # bounds a hang: a worker process starts, then answers
        while not fake.calls("response_url") and time.monotonic() < deadline:
            time.sleep(0.05)
        reply = fake.calls("response_url")[-1]
        assert "/sensebot today" in json.dumps(reply.params)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, err
    logs = out + err
    assert "DEBUG" in logs
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN):
        assert secret not in logs
