"""Benchmark: delivery at scale — a fan-out through the real outbox, Pacer and ports, against fakes
that enforce the platforms' rate limits.

2,000 channel messages over 500 channels (4 each) plus 1,000 direct messages (one per member), in
a seeded random order, are enqueued in the outbox (a migrated SQLite file) and delivered by the
real `Dispatcher` with a `Pacer` through the real `SlackPort` (slack_sdk) and `DiscordPort`
(discord.py's HTTP client) against `FakeSlack(limits=...)` / `FakeDiscordAPI(limits=...)`.
Then the same messages go out the naive way: a plain loop calling the port one message after
another, sleeping Retry-After on a 429 and trying again.

Limits, in the platform's seconds (time is compressed by --slack-scale / --discord-scale: the
fakes' rates are multiplied by it, so are the ports' buckets, and Retry-After is divided by it):

  Slack    chat.postMessage  1/s per channel (burst 2), 300/min per workspace (burst 10) — Slack
                             publishes only "several hundred per minute"
           conversations.open  Tier 3: 50/min per workspace (burst 3), the documented minimum
           429 `ratelimited` + Retry-After in whole seconds; one workspace, one bot token
  Discord  50 requests/s per bot (token bucket, burst 50); POST /channels/{id}/messages 5 per 5 s
           per channel; X-RateLimit-* headers; 429 with JSON retry_after (and `global`)

The floor is the time the limits alone impose on this distribution of messages: for each
bucket, (requests in it - burst) / rate, the largest of them. Targets: time / floor <= 1.15,
0 lost, 0 duplicated (counted from what the fake recorded as accepted), 429s < 1% of requests.

    python tests/bench/bench_fanout.py [--quick] [--platform slack|discord|both] [--no-naive]
                                       [--slack-concurrency 16] [--discord-concurrency 16] [--claim 200]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import func, select

from bot.clock import SystemClock
from bot.context import Ctx
from bot.events import Who
from bot.messages import Button, Message
from bot.outbox import Dispatcher, enqueue
from bot.pacing import Pacer
from bot.ports import DeliveryError
from bot.store.db import Database
from bot.store.models import OutboxRow
from bot.teams import ensure_team
from tests.bench._common import table, write

SLACK_TOKEN = "xoxb-bench-0000-fanout"
DISCORD_TOKEN = "MTA-bench-fanout-token.abcdef.ghijklmnopqrstu"
TITLE = re.compile(r"Fan-out (\d{5})")


@dataclass(frozen=True)
class Item:
    mid: int
    kind: str  # channel | direct
    target: str


def plan(channels: list[str], users: list[str], per_channel: int, seed: int = 42) -> list[Item]:
    """Every channel gets `per_channel` messages, every user one direct message; shuffled (seeded)."""
    kinds = [("channel", c) for c in channels for _ in range(per_channel)] + [("direct", u) for u in users]
    random.Random(seed).shuffle(kinds)
    return [Item(i, k, t) for i, (k, t) in enumerate(kinds)]


def message(mid: int) -> Message:
    return Message(f"Fan-out {mid:05d}", "Today's case is open: answer in the thread before the deadline.",
                   buttons=(Button("Answer", "answer", str(mid), "primary"),))


# ---------------------------------------------------------------------------------------------- floors


@dataclass
class Floor:
    rows: list[list] = field(default_factory=list)

    def token_bucket(self, name: str, count: int, rate: float, burst: int, scale: float) -> None:
        seconds = max(0, count - burst) / rate
        self.rows.append([name, f"{rate * 60:g}/min" if rate < 1 else f"{rate:g}/s", burst, count, seconds,
                          seconds / scale])

    def window(self, name: str, count: int, limit: int, per: float, scale: float) -> None:
        seconds = max(0, math.ceil(count / limit) - 1) * per
        self.rows.append([name, f"{limit} per {per:g}s", limit, count, seconds, seconds / scale])

    @property
    def seconds(self) -> float:
        return max(r[-1] for r in self.rows)


def slack_floor(items: list[Item], limits, scale: float) -> Floor:
    f = Floor()
    per_channel = Counter(i.target for i in items)
    busiest = max(per_channel.values())
    ch = limits.per_channel["chat.postMessage"]
    f.token_bucket("chat.postMessage per channel (busiest)", busiest, ch.rate, ch.burst, scale)
    ws = limits.per_workspace["chat.postMessage"]
    f.token_bucket("chat.postMessage per workspace", len(items), ws.rate, ws.burst, scale)
    op = limits.per_workspace["conversations.open"]
    f.token_bucket("conversations.open per workspace", sum(i.kind == "direct" for i in items), op.rate, op.burst, scale)
    return f


def discord_floor(items: list[Item], limits, scale: float) -> Floor:
    f = Floor()
    requests = len(items) + sum(i.kind == "direct" for i in items)  # a DM is a DM channel, then the message
    f.token_bucket("all requests (global)", requests, limits.global_rate, limits.global_burst, scale)
    route = limits.routes[0]
    busiest = max(Counter(i.target for i in items if i.kind == "channel").values())
    f.window("POST /channels/{id}/messages (busiest)", busiest, route.limit, route.per, scale)
    return f


# ---------------------------------------------------------------------------------------------- the outbox


def fill(db: Database, platform: str, workspace: str, items: list[Item]) -> None:
    with db.transaction() as s:
        ctx = Ctx(s, SystemClock(), None)  # delivery only: no content needed
        team = ensure_team(ctx, Who(platform, workspace, "bench"))
        for it in items:
            enqueue(ctx, team, target=it.target, message=message(it.mid), dedupe_key=f"fanout:{it.mid}", kind=it.kind)


def count(db: Database, status: str) -> int:
    with db.session() as s:
        return s.exec(select(func.count(OutboxRow.id)).where(OutboxRow.status == status)).one()


def run_dispatcher(platform: str, workspace: str, port, items: list[Item], *, concurrency: int, claim: int,
                   timeout: float, pacer: Pacer | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'fanout.db'}")
        db.upgrade()
        fill(db, platform, workspace, items)
        d = Dispatcher(db, SystemClock(), {platform: port}, pacer=pacer or Pacer(), concurrency=concurrency,
                       rng=random.Random(7), worker="bench")
        t0 = time.perf_counter()
        timed_out = False
        while True:
            if d.drain(limit=claim):
                continue
            if not count(db, "pending"):
                break
            if time.perf_counter() - t0 > timeout:
                timed_out = True
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        d.close()
        with db.session() as s:
            retries = s.exec(select(func.sum(OutboxRow.attempts))).one() - (len(items) - count(db, "pending"))
        out = {"seconds": elapsed, "failed_rows": count(db, "failed"), "pending_rows": count(db, "pending"),
               "outbox_retries": retries, "timed_out": timed_out}
        db.dispose()
        return out


def run_naive(workspace: str, port, items: list[Item], timeout: float) -> dict:
    t0 = time.perf_counter()
    failed = 0
    timed_out = False
    for it in items:
        while True:
            try:
                if it.kind == "direct":
                    port.direct(workspace, it.target, message(it.mid))
                else:
                    port.post(workspace, it.target, message(it.mid))
                break
            except DeliveryError as exc:
                if exc.permanent:
                    failed += 1
                    break
                time.sleep(exc.retry_after if exc.retry_after is not None else 1.0)
        if time.perf_counter() - t0 > timeout:
            timed_out = True
            break
    return {"seconds": time.perf_counter() - t0, "failed_rows": failed, "timed_out": timed_out}


def tally(items: list[Item], delivered: list[tuple[int, str]], wanted_place) -> dict:
    """Lost / duplicated / misdelivered from what the fake accepted: (message id, where it landed)."""
    seen = Counter(mid for mid, _ in delivered)
    by_id = {it.mid: it for it in items}
    return {"delivered": len(seen), "lost": sum(1 for it in items if it.mid not in seen),
            "duplicated": sum(n - 1 for n in seen.values() if n > 1),
            "misdelivered": sum(1 for mid, where in delivered if mid not in by_id or where != wanted_place(by_id[mid]))}


# ---------------------------------------------------------------------------------------------- Slack


def slack_run(items: list[Item], scale: float, how: str, concurrency: int, claim: int, timeout: float) -> dict:
    from adapters.slack.port import SlackPort
    from tests.fakes.slack_api import FakeSlack, SlackLimits

    limits = SlackLimits(scale=scale)
    with FakeSlack(limits=limits) as fake:
        port = SlackPort(token=SLACK_TOKEN, base_url=fake.url, timeout=10, rate_scale=scale)
        if how == "dispatcher":
            out = run_dispatcher("slack", fake.team_id, port, items, concurrency=concurrency, claim=claim, timeout=timeout)
        else:
            out = run_naive(fake.team_id, port, items, timeout)
        calls = fake.calls()
        delivered = []
        for c in fake.calls("chat.postMessage", ok=True):
            m = TITLE.search(str(c.params.get("text", "")))
            delivered.append((int(m.group(1)) if m else -1, str(c.params.get("channel"))))
    out.update(requests=len(calls), limited=sum(c.status == 429 for c in calls),
               by_method=dict(Counter(c.method for c in calls)))
    out.update(tally(items, delivered, lambda it: "D" + it.target[1:] if it.kind == "direct" else it.target))
    return out


# ---------------------------------------------------------------------------------------------- Discord


class DiscordSide:
    """The fake Discord REST API (limits on) and the real client logged in over REST on its own loop."""

    def __init__(self, limits, channels: list[int]):
        from tests.fakes.discord_fakes import FakeDiscord, text_channel_json
        self.fake = FakeDiscord(limits=limits)
        self.api = self.fake.api
        self.channels = channels
        self._text_channel = text_channel_json
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-discord-client", daemon=True)

    def __enter__(self) -> DiscordSide:
        from adapters.discord.client import DiscordRuntime
        from bot.app import App
        from bot.config import Settings
        self.fake.start()
        for cid in self.channels:
            self.api.channels[cid] = self._text_channel(cid, self.api.guild_id)
        settings = Settings(database_url="sqlite://", discord_token=DISCORD_TOKEN, discord_api_url=self.api.url,
                            discord_guild_id=str(self.api.guild_id), discord_application_id=str(self.api.application_id))
        self.runtime = DiscordRuntime(App(settings, None, None, None))  # delivery only: no core
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.runtime.login(), self.loop).result(30)
        self.first_request = len(self.api.recorded())
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runtime.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.fake.stop()

    @property
    def port(self):
        return self.runtime.port


def time_compressed(port, scale: float):
    """The port's own buckets with every rate x scale, as the fake's clock runs `scale` times faster."""
    own = port.buckets
    port.buckets = lambda kind, workspace, target: [replace(b, rate=b.rate * scale) for b in own(kind, workspace, target)]
    return port


def discord_run(items: list[Item], scale: float, how: str, concurrency: int, claim: int, timeout: float) -> dict:
    from tests.fakes.discord_fakes import DiscordLimits
    limits = DiscordLimits(scale=scale)
    channels = sorted({int(it.target) for it in items if it.kind == "channel"})
    with DiscordSide(limits, channels) as side:
        port = time_compressed(side.port, scale)
        guild = str(side.api.guild_id)
        if how == "dispatcher":
            out = run_dispatcher("discord", guild, port, items, concurrency=concurrency, claim=claim, timeout=timeout)
        else:
            out = run_naive(guild, port, items, timeout)
        reqs = side.api.recorded()[side.first_request:]
        dm_of = {c["recipients"][0]["id"]: cid for cid, c in side.api.channels.items() if c.get("type") == 1}
        delivered = []
        for r in reqs:
            m = re.fullmatch(r"/channels/(\d+)/messages", r.path)
            if r.method == "POST" and m and r.status == 200:
                t = TITLE.search(json.dumps(r.json))
                delivered.append((int(t.group(1)) if t else -1, int(m.group(1))))
    out.update(requests=len(reqs), limited=sum(r.status == 429 for r in reqs),
               limited_by_scope=dict(side.api.rate_limited),
               by_route=dict(Counter(re.sub(r"\d{5,}", "{id}", f"{r.method} {r.path}") for r in reqs)))
    out.update(tally(items, delivered, lambda it: dm_of.get(it.target) if it.kind == "direct" else int(it.target)))
    return out


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a fifth of the messages (400 + 200 DMs over 100 channels)")
    ap.add_argument("--platform", choices=("slack", "discord", "both"), default="both")
    ap.add_argument("--slack-scale", type=float, default=40.0, help="Slack's clock runs this many times faster")
    ap.add_argument("--discord-scale", type=float, default=2.5, help="Discord's clock runs this many times faster")
    ap.add_argument("--slack-concurrency", type=int, default=16, help="Dispatcher threads (16, 32, 64 measured alike)")
    ap.add_argument("--discord-concurrency", type=int, default=16)
    ap.add_argument("--claim", type=int, default=200, help="rows the dispatcher claims per drain")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive loop")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # discord.py warns on every 429 it waits out
    from tests.fakes.discord_fakes import DiscordLimits, snowflake
    from tests.fakes.slack_api import SlackLimits

    n_channels, n_users, per_channel = (100, 200, 4) if args.quick else (500, 1000, 4)
    platforms = ("slack", "discord") if args.platform == "both" else (args.platform,)
    rows, floors, results = [], [], {}
    for platform in platforms:
        if platform == "slack":
            items = plan([f"C{i:05d}" for i in range(n_channels)], [f"U{i:05d}" for i in range(n_users)], per_channel)
            scale, conc = args.slack_scale, args.slack_concurrency
            floor = slack_floor(items, SlackLimits(), scale)
            run = slack_run
        else:
            items = plan([str(snowflake()) for _ in range(n_channels)], [str(snowflake()) for _ in range(n_users)],
                         per_channel)
            scale, conc = args.discord_scale, args.discord_concurrency
            floor = discord_floor(items, DiscordLimits(), scale)
            run = discord_run
        floors += [[platform, *r] for r in floor.rows]
        timeout = max(120.0, 6 * floor.seconds)
        results[platform] = {"scale": scale, "floor_seconds": floor.seconds, "messages": len(items)}
        hows = ["dispatcher"] + ([] if args.no_naive else ["naive"])
        for how in hows:
            print(f"{platform}: {how} ...", file=sys.stderr, flush=True)
            r = run(items, scale, how, conc, args.claim, timeout)
            results[platform][how] = r
            label = {"dispatcher": f"Dispatcher+Pacer x{conc}", "naive": "naive loop"}[how]
            rows.append([platform, label, len(items), r["requests"], r["limited"],
                         f"{100 * r['limited'] / max(1, r['requests']):.2f}%", r["seconds"], floor.seconds,
                         r["seconds"] / floor.seconds, r["lost"], r["duplicated"], r["misdelivered"]])
            print(f"  {json.dumps({k: v for k, v in r.items()}, default=str)}", file=sys.stderr, flush=True)
    print("Limits and the floor they impose (platform seconds, then bench seconds after time compression):")
    print(table(["platform", "limit", "rate", "burst", "requests", "floor s (platform)", "floor s (bench)"], floors))
    print()
    headers = ["platform", "delivery", "messages", "requests", "429s", "429 %", "time s", "floor s", "ratio",
               "lost", "duplicated", "misdelivered"]
    print(table(headers, rows))
    print("\ntargets: ratio <= 1.15, lost 0, duplicated 0, 429s < 1% of requests")
    path = write("fanout", {"quick": args.quick, "channels": n_channels, "direct": n_users, "per_channel": per_channel,
                            "limits_and_floors": [dict(zip(["platform", "limit", "rate", "burst", "requests",
                                                            "floor_platform_s", "floor_bench_s"], f, strict=False))
                                                  for f in floors],
                            "rows": [dict(zip(headers, r, strict=False)) for r in rows], "results": results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
