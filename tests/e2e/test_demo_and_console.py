"""The newcomer's path: `sensebot demo` shows a whole day; `sensebot console` reopens it."""
import io

from adapters.console import demo, repl
from bot.app import build
from bot.config import load


def test_demo_shows_a_full_day_and_is_deterministic(tmp_path):
    first, second = io.StringIO(), io.StringIO()
    assert demo.run(seed=3, db_path=str(tmp_path / "a.db"), out=first) == 0
    assert demo.run(seed=3, db_path=str(tmp_path / "b.db"), out=second) == 0
    text = first.getvalue()
    for expected in ("Today's case:", "Step 1 of 4 — Scope", "Step 4 of 4 — Score", "What your answer is missing",
                     "Today's case is still open", "Voting is open", "can't rate your own answer",
                     "Results:", "Model outline", "-day streak", "Leaderboard — This week"):
        assert expected in text, expected
    assert text.index("Today's case:") < text.index("Voting is open") < text.index("Results:")
    assert first.getvalue().replace("a.db", "") == second.getvalue().replace("b.db", "")


def test_console_reopens_the_demo_and_runs_a_drill(tmp_path):
    path = tmp_path / "demo.db"
    demo.run(seed=1, db_path=str(path), out=io.StringIO())
    app = build(load({"SENSEBOT_DATABASE_URL": f"sqlite:///{path}"}), command_prefix="/")
    lines = iter(["/results", "/drill improve", "I assume developers sending OTP; goal: fewer failures by 20% in 2 quarters.",
                  "Developers and IT/security leads; each needs different things.",
                  "V1 MVP webhook, V2 dashboard, V3 enterprise. API: POST /v1/checks returns 201.",
                  "KPIs: success rate 95% in 6 months; p95 under 400 ms.", "/streak", "/quit"])
    out = io.StringIO()
    assert repl.run(app.practice, user="Ada", out=out, read=lambda _prompt: next(lines)) == 0
    text = out.getvalue()
    assert "Results:" in text and "Drill finished" in text and "-day streak" in text


def test_console_fast_forwards_a_day_on_the_scheduler_path(tmp_path):
    app = build(load({"SENSEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}), command_prefix="/")
    lines = iter(["/setup #practice 09:00 UTC mon-sun", "/next", "/answer I assume developers; goal fewer failures.",
                  "/next 5", "/wait 1d", "/quit"])
    out = io.StringIO()
    repl.run(app.practice, user="Ada", out=out, read=lambda _prompt: next(lines))
    text = out.getvalue()
    assert "Today's case:" in text and "Answer saved" in text and "Step 2 of 4" in text
    assert "Results:" in text


def console_run(tmp_path, lines: list[str], **kw) -> str:
    app = build(load({"SENSEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}), command_prefix="/")
    feed = iter([*lines, "/quit"])
    out = io.StringIO()
    repl.run(app.practice, user="Ada", out=out, read=lambda _prompt: next(feed), **kw)
    return out.getvalue()


def test_item18_console_calibration_buttons_can_be_pressed(tmp_path):
    text = console_run(tmp_path, [
        "/setup #practice 09:00 UTC mon-sun", "/next",
        "/answer I assume developers sending OTP; the goal is fewer failed logins, 20% down in 2 quarters.",
        "/as Bo", "/wait 9h", "/rate 1", "/press 2", "4", "4", "4", "4", "4", "",
        "/rate 1", "5", "5", "5", "5", "5", "", "/press 9"])
    assert "/press 1 = Rate the reference answer, /press 2 = Skip" in text
    assert "Vote recorded for answer #1" in text
    assert "Vote updated for answer #1" in text  # the second time straight to the vote: no loop
    assert text.count("Before your first vote") == 1
    assert "Usage: /press N" in text


def test_item18_console_admins_are_you_and_those_named_with_admin(tmp_path):
    text = console_run(tmp_path, ["/as Bo", "/pause", "/as Cy", "/pause"], admins=("cy",))
    assert "Only workspace admins can run pause" in text
    assert "(you are now Cy, an admin)" in text and "Paused: no prompts" in text


def test_item18_console_prints_no_raw_escapes_nul_or_bidi_overrides(tmp_path):
    text = console_run(tmp_path, [
        "/setup #practice 09:00 UTC mon-sun", "/next",
        "/answer I assume developers\x1b[2J sending OTP\x00 to\u202e users; goal fewer failures by 20% in 2 quarters.",
        "/as \x1b]0;pwned\x07Eve", "/wait 9h"])
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text and "\x07" not in text
    assert "␛]0;pwned<U+0007>Eve" in text


def test_item18_console_clock_follows_the_timezone_setup_sets(tmp_path):
    text = console_run(tmp_path, ["/setup #practice 09:00 Asia/Tokyo mon-sun", "/wait 1m"])
    assert " JST)" in text.splitlines()[-1] or "JST" in text.split("(it is now")[-1]


def test_console_asks_before_saving_chat_and_save_answers_it(tmp_path):
    """Issue 14 item 2 in the console, which can't press buttons: reply `save` or `no` instead."""
    app = build(load({"SENSEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}), command_prefix="/")
    lines = iter(["/setup #practice 09:00 UTC mon-sun", "/next", "help", "is the deadline 17:00?", "no",
                  "hi there", "save", "/today", "/quit"])
    out = io.StringIO()
    repl.run(app.practice, user="Ada", out=out, read=lambda _prompt: next(lines))
    text = out.getvalue()
    assert "sensebot help" in text and text.count("Save this as your answer?") == 2
    assert "Not saved" in text and "Answer saved" in text
    assert "hi there" in text.split("Your answer (#")[1] and "17:00?" not in text.split("Your answer (#")[1]
