"""The floor for bench_slack_http: a bare Bolt app that only acknowledges, served the way sensebot is.

Same waitress server (8 threads), same GIL switch interval, same bolt settings (signature checks
on, process_before_response), listeners that call ack() and nothing else. What sensebot's acks
cost above this is sensebot's own; what this costs is the machine's.

    python tests/bench/bare_bolt.py PORT SLACK_API_URL
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from slack_bolt import App  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from waitress.server import create_server  # noqa: E402

from adapters.slack.runtime import ACK_SWITCH_INTERVAL, HTTP_THREADS  # noqa: E402
from tests.adapters.slack.harness import SIGNING_SECRET  # noqa: E402


def main() -> int:
    port, api = int(sys.argv[1]), sys.argv[2]
    # the token's auth.test (once, cached by bolt) goes to the benchmark's fake, as sensebot's does
    bolt = App(signing_secret=SIGNING_SECRET, client=WebClient(token="xoxb-bare", base_url=api),
               token_verification_enabled=False,
               process_before_response=True, raise_error_for_unhandled_request=False)

    def only_ack(ack) -> None:
        ack()

    bolt.command(re.compile(r".*"))(only_ack)
    bolt.action(re.compile(r".*"))(only_ack)
    handler = SlackRequestHandler(bolt, path="/slack/events")

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        return handler(environ, start_response)

    sys.setswitchinterval(ACK_SWITCH_INTERVAL)
    create_server(wsgi, host="127.0.0.1", port=port, threads=HTTP_THREADS, ident="bare-bolt").run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
