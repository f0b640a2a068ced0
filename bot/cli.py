"""`sensebot ...`: the console script. Errors a person can fix print a sentence and exit 2."""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import config
from bot.config import ConfigError, Settings
from bot.content import ContentError
from bot.messages import plural

log = logging.getLogger("sensebot")


def _settings(args: argparse.Namespace) -> Settings:
    settings = config.load()
    db = getattr(args, "db", None)
    if db:
        from dataclasses import replace
        url = db if "://" in db else f"sqlite:///{db}"
        from bot.store.db import check_url
        try:
            settings = replace(settings, database_url=check_url(url))
        except ValueError as exc:
            raise ConfigError([str(exc).replace("SENSEBOT_DATABASE_URL", "--db")]) from None
    config.configure_logging(settings)
    return settings


def cmd_demo(args) -> int:
    from adapters.console import demo
    logging.getLogger().setLevel(logging.WARNING)
    return demo.run(seed=args.seed, db_path=args.db or "sensebot-demo.db")


def cmd_console(args) -> int:
    from adapters.console import repl
    from bot.app import build
    settings = _settings(args)
    logging.getLogger().setLevel(logging.WARNING)
    app = build(settings, command_prefix="/")
    return repl.run(app.practice, user=args.user, admins=args.admin or ())


def cmd_db(args) -> int:
    from bot.store.db import Database
    settings = _settings(args)
    db = Database(settings.database_url)
    if args.action == "upgrade":
        db.upgrade()
        print(f"Database at revision {db.current_revision()}.")
        return 0
    from bot.store.backup import backup
    print(backup(db, Path(args.path)))
    return 0


def cmd_content(args) -> int:
    from bot import content
    dirs = [Path(d) for d in args.dirs]
    try:
        lib = content.load(dirs)
    except ContentError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{plural(len(exc.problems), 'problem')} found.", file=sys.stderr)
        return 1
    if args.action == "stats":
        from bot.content_stats import report
        print(report(lib))
        return 0
    from bot.content_lint import lint
    findings = lint(lib)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"{plural(len(findings), 'warning')} (the pack loads; --strict fails on them).",
              file=sys.stderr)
        if args.strict:
            return 1
    print(f"OK: {len(lib.prompts)} prompts, {len(lib.drills)} drills, {len(lib.rubric.dimensions)} rubric dimensions, "
          f"{len(lib.rubric.reference_answers)} reference answers.")
    return 0


def cmd_coach(args) -> int:
    """`sensebot coach CASE_ID [FILE|-] [--form] [--json]`: the feedback a member would get."""
    import json

    import yaml

    from bot import coach, content
    from bot.coach import feedback
    lib = content.load()
    prompt = lib.prompt(args.case)
    if prompt is None:
        raise ConfigError([f"there is no case '{args.case}' — `sensebot content stats` lists the cases."])
    try:
        text = sys.stdin.read() if args.file in (None, "-") else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"can't read {args.file}: {exc.strerror if isinstance(exc, OSError) else 'not UTF-8 text'}."]) from None
    sections: dict[str, str] = {}
    free = text
    if args.form:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict) or not any(k in data for k in content.STEPS):
            raise ConfigError([f"{args.file or 'stdin'} is not a YAML/JSON mapping of scope/segment/solve/score."])
        sections, free = {s: str(data.get(s) or "") for s in content.STEPS}, ""
    reading = coach.read(prompt, sections, free, lib)
    if args.json:
        print(json.dumps(reading.as_json(), ensure_ascii=False, indent=2))
        return 0
    print(prompt.title)
    for sec in feedback.sections(reading):
        print(f"\n{sec.title}\n{sec.text}")
    return 0


def cmd_schedule(args) -> int:
    from bot.app import build
    from bot.scheduler import show
    app = build(_settings(args))
    print(show(app.practice, team=args.team))
    return 0


def cmd_run(args) -> int:
    from bot.app import build
    app = build(_settings(args))
    return run_all(app, adapters=args.only)


def cmd_web(args) -> int:
    """`sensebot web`: the team's web home. With Slack over HTTP configured, the same server also
    serves Slack's endpoints (one port, the Procfile's `web:`) and runs the scheduler and delivery."""
    from bot.app import build
    settings = _settings(args)
    s = settings
    port = args.port if args.port is not None else (s.web_port if s.web_port is not None else 8000)
    slack_http = bool(s.slack_signing_secret and (s.slack_bot_token or s.slack_client_id) and not s.slack_app_token)
    app = build(settings, command_prefix="/sensebot " if slack_http else "")  # as `sensebot slack` names commands
    if slack_http:
        return run_all(app, adapters=["slack", "scheduler"], web_port=port, web_host=args.host)  # Discord: the worker
    from adapters.web.app import create_app
    from adapters.web.serve import WebServer, is_loopback
    server = WebServer(create_app(app, local_signin=is_loopback(args.host)), args.host, port)
    print(f"sensebot web: http://{args.host}:{server.port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    return 0


def run_all(app, adapters: list[str] | None = None, *, web_port: int | None = None, web_host: str = "0.0.0.0") -> int:
    """`sensebot run`: the scheduler, the outbox drain loop and every configured adapter in one
    process. It lives in the entry point because choosing adapters is the entry point's job: the
    core never imports them."""
    import signal
    import threading

    from bot.outbox import Dispatcher, DispatchLoop
    from bot.scheduler import Scheduler

    s = app.settings
    wanted = set(adapters or ("slack", "discord", "scheduler"))
    ports: dict = {}
    runtimes: list = []  # each has start_background() and stop()
    web_port = web_port if web_port is not None else s.web_port
    web = None
    if web_port is not None:
        from adapters.web.app import create_app
        from adapters.web.serve import is_loopback
        web = create_app(app, local_signin=is_loopback(web_host))
    if "slack" in wanted and (s.slack_bot_token or s.slack_client_id):
        from adapters.slack.runtime import SlackRuntime
        socket_mode = bool(s.slack_app_token)
        if web is not None and not socket_mode:  # one server, one port: Slack's endpoints and the pages
            rt = SlackRuntime(app, socket_mode=False, port=web_port, host=web_host, web=web, workers=s.slack_workers)
            web = None
        else:
            rt = SlackRuntime(app, socket_mode=socket_mode, workers=s.slack_workers)
        ports["slack"] = rt.port
        runtimes.append(rt)
    if "discord" in wanted and s.discord_token:
        from adapters.discord.client import DiscordRuntime
        rt = DiscordRuntime(app)
        ports["discord"] = rt.port
        runtimes.append(rt)
    if not ports:
        raise ConfigError(["Nothing to run: set SLACK_BOT_TOKEN (and SLACK_APP_TOKEN) or DISCORD_TOKEN, "
                           "or try `sensebot console` to practise locally."])
    if web is not None:
        from adapters.web.serve import WebServer
        server = WebServer(web, web_host, web_port)
        log.info("web home on %s:%s", web_host, server.port)
        runtimes.append(server)
    scheduler = Scheduler(app.practice)
    loop = DispatchLoop(Dispatcher(app.db, app.practice.clock, ports), s.dispatch_seconds)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    scheduler.start()
    loop.start()
    for rt in runtimes:
        rt.start_background()
    log.info("sensebot running: %s", ", ".join(sorted(ports)))
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    for rt in runtimes:  # stop taking requests, and let Slack's workers finish what they hold
        rt.stop()
    loop.stop()
    scheduler.shutdown()
    return 0


def cmd_slack(args) -> int:
    from adapters.slack.runtime import main as slack_main
    return slack_main(_settings(args), http=args.http, port=args.port)


def cmd_discord(args) -> int:
    from adapters.discord.client import main as discord_main
    return discord_main(_settings(args), action=args.action)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sensebot", description="A practice partner for product-sense interviews.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="run one simulated practice day and print the transcript")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--db", help="SQLite file to leave behind (default sensebot-demo.db)")
    d.set_defaults(fn=cmd_demo)

    c = sub.add_parser("console", help="practise in the terminal (the local adapter)")
    c.add_argument("--db", help="SQLite file or database URL (default: SENSEBOT_DATABASE_URL or sensebot.db)")
    c.add_argument("--user", help="who you are (default: your login name)")
    c.add_argument("--admin", action="append", metavar="NAME",
                   help="a person who may run admin commands, besides you (repeat for more)")
    c.set_defaults(fn=cmd_console)

    db = sub.add_parser("db", help="database maintenance")
    dbs = db.add_subparsers(dest="action", required=True)
    up = dbs.add_parser("upgrade", help="apply migrations")
    up.add_argument("--db")
    bk = dbs.add_parser("backup", help="consistent copy of the SQLite database, safe while the bot runs")
    bk.add_argument("path")
    bk.add_argument("--db")
    db.set_defaults(fn=cmd_db)

    ct = sub.add_parser("content", help="check or summarise prompt packs")
    cts = ct.add_subparsers(dest="action", required=True)
    for name in ("check", "stats"):
        x = cts.add_parser(name)
        x.add_argument("dirs", nargs="*", help="extra pack folders to include")
        if name == "check":
            x.add_argument("--strict", action="store_true", help="fail on lint warnings too")
    ct.set_defaults(fn=cmd_content)

    co = sub.add_parser("coach", help="show how the coach reads an answer to a case")
    co.add_argument("case", help="the case id")
    co.add_argument("file", nargs="?", help="the answer (default or '-': standard input)")
    co.add_argument("--form", action="store_true", help="the answer is a YAML/JSON mapping of scope/segment/solve/score")
    co.add_argument("--json", action="store_true", help="print the reading as JSON")
    co.set_defaults(fn=cmd_coach)

    sc = sub.add_parser("schedule", help="the teams' next steps")
    scs = sc.add_subparsers(dest="action", required=True)
    sh = scs.add_parser("show")
    sh.add_argument("--team", help="team id or workspace id")
    sh.add_argument("--db")
    sc.set_defaults(fn=cmd_schedule)

    r = sub.add_parser("run", help="scheduler, delivery and every configured adapter in one process")
    r.add_argument("--only", nargs="*", choices=("slack", "discord", "scheduler"), help="run only these parts")
    r.add_argument("--db")
    r.set_defaults(fn=cmd_run)

    w = sub.add_parser("web", help="the team's web home (with Slack's HTTP endpoints when Slack over HTTP is set)")
    w.add_argument("--port", type=int, help="port (default SENSEBOT_WEB_PORT or 8000)")
    w.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: local sign-in for console teams)")
    w.add_argument("--db")
    w.set_defaults(fn=cmd_web)

    s = sub.add_parser("slack", help="run the Slack adapter (Socket Mode, or --http)")
    s.add_argument("--http", action="store_true", help="serve /slack/events over HTTP instead of Socket Mode")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--db")
    s.set_defaults(fn=cmd_slack)

    dc = sub.add_parser("discord", help="run the Discord adapter")
    dc.add_argument("action", nargs="?", default="run", choices=("run", "sync", "invite-url"))
    dc.add_argument("--db")
    dc.set_defaults(fn=cmd_discord)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"sensebot: {problem}", file=sys.stderr)
        return 2
    except ContentError as exc:
        print("sensebot: the content packs have problems — fix them or run `sensebot content check`:", file=sys.stderr)
        for p in exc.problems[:20]:
            print(f"  {p}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `sensebot content stats | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
