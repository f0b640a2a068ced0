"""`sensebot web` as the Procfile's `web:` process: with Slack over HTTP configured, one server on
one port answers Slack's signed requests and serves the pages; it stops cleanly on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from tests.adapters.slack.conftest import fake  # noqa: F401  (the fake Slack Web API fixture)
from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, fixture, sign
from tests.adapters.slack.test_cli import free_port, get

ROOT = Path(__file__).parents[3]


def test_one_port_serves_slacks_endpoints_and_the_pages(fake, tmp_path):  # noqa: F811
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SENSEBOT_", "DISCORD_"))}
    env.update(SENSEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'web.db'}", SLACK_BOT_TOKEN=BOT_TOKEN,
               SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "web", "--host", "0.0.0.0", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120  # bounds a hang only
        while get(f"http://127.0.0.1:{port}/healthz") != 200:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=10) as r:
            page = r.read().decode()
        assert r.status == 200 and "Sign in" in page
        assert "On this computer" not in page  # as the Procfile runs it, on every address: no local sign-in
        body = urlencode(fixture("slash_command", text="help", response_url=fake.response_url("web")))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
        deadline = time.monotonic() + 60  # bounds a hang only: a busy machine just takes longer
        while not fake.calls("response_url") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "/sensebot today" in json.dumps(fake.calls("response_url")[-1].params)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0, err
