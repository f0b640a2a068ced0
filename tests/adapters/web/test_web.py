"""The web home through Flask's test client: every page, who may see what, forms (CSRF, the
same chat commands, the scheduler hearing of a change), and sign-in with Slack and Discord
against loopback fakes of their OAuth/OIDC endpoints."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from adapters.web.app import create_app
from adapters.web.serve import is_loopback
from bot import config
from bot.app import App
from bot.store.models import Answer, AuditEntry, Member, Round, Team
from tests.conftest import TeamBot
from tests.fakes.oauth_fakes import FakeProviders, Person

ESSAY = ("I assume developers integrating the messaging API; the goal is fewer failed sends by 20% in two quarters. "
         "Personas: developers need clear errors, security leads need audit logs. V1 a status endpoint, V2 retries.")


@pytest.fixture(scope="module")
def fake():
    f = FakeProviders().start()
    yield f
    f.stop()


def _settings(fake: FakeProviders, **kw):
    s = replace(config.load({}), slack_client_id=fake.CLIENT_ID, slack_client_secret=fake.CLIENT_SECRET,
                slack_bot_token=fake.BOT_TOKEN, slack_api_url=f"{fake.url}/api/", slack_oauth_url=fake.url,
                discord_application_id=fake.CLIENT_ID, discord_client_secret=fake.CLIENT_SECRET,
                discord_api_url=f"{fake.url}/api/v10", discord_oauth_url=fake.url)
    return replace(s, **kw)


class Site:
    """Two teams on the test platform (T1 with a finished round and an open one, T2) and the web app."""

    def __init__(self, db, clock, library, fake, **settings):
        self.a = TeamBot(db, clock, library, workspace="T1")
        self.b = TeamBot(db, clock, library, workspace="T2")
        self.b.practice = self.a.practice  # one core, as in one process
        self.practice = self.a.practice
        self.app = App(_settings(fake, **settings), db, library, self.practice)
        self.web = create_app(self.app, local_signin=True)
        self.web.testing = True
        self.db = db

    def played_round(self) -> int:
        """A's Monday round: answered by ada and bilal, rated, closed on Tuesday morning."""
        a = self.a
        a.setup()
        a.advance(hours=1, minutes=5)
        a.cmd("ada", f"answer {ESSAY}")
        a.cmd("bilal", "answer Short answer about webhooks and a status page for retries.")
        a.advance(hours=8)
        with self.db.session() as s:
            ids = {m.user_id: aid for aid, m in s.exec(select(Answer.id, Member).join(Member, Member.id == Answer.member_id))}
        a.cmd("bilal", f"vote {ids['ada']} 5 4 4 4 5 good")
        a.cmd("carol", f"vote {ids['ada']} 4 4 5 4 4")
        a.cmd("ada", f"vote {ids['bilal']} 3 3 2 3 3")
        a.advance(hours=16)
        with self.db.session() as s:
            return s.exec(select(Round.id).where(Round.phase == "closed")).one()

    def client(self, user: str = "", workspace: str = "T1", admin: bool = False, platform: str = "test"):
        c = self.web.test_client()
        if user:
            with c.session_transaction() as sess:
                sess["ids"] = [{"p": platform, "w": workspace, "u": user, "n": user.capitalize(), "a": admin}]
                sess["csrf"] = "tok"
        return c

    def team_id(self, workspace: str) -> int:
        with self.db.session() as s:
            return s.exec(select(Team.id).where(Team.workspace_id == workspace)).one()


@pytest.fixture
def site(db, clock, library, fake):
    return Site(db, clock, library, fake)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def test_every_page_renders_for_a_member_and_settings_for_an_admin(site):
    rid = site.played_round()
    site.b.cmd("zoe", "streak")
    t1 = site.team_id("T1")
    c = site.client("ada")
    pages = {f"/t/{t1}": "Today's case", f"/t/{t1}/archive": "finished round", f"/t/{t1}/rounds/{rid}": "Model outline",
             f"/t/{t1}/me": "My answers", f"/t/{t1}/me/progress": "My progress", f"/t/{t1}/leaderboard": "Streaks",
             f"/t/{t1}/library": "Library", f"/t/{t1}/me/forget": "Forget everything"}
    for path, expected in pages.items():
        resp = c.get(path)
        assert resp.status_code == 200, path
        assert expected in _text(resp), path
        assert 'name="viewport"' in _text(resp) and "<main" in _text(resp) and "<nav" in _text(resp)
    assert c.get(f"/t/{t1}/admin").status_code == 403
    admin = site.client("admin", admin=True)
    page = _text(admin.get(f"/t/{t1}/admin"))
    for label in ("Channel", "Timezone", "Pass bar", "Reviewers per answer", "Minimum votes", "Skip a day", "Next steps"):
        assert label in page
    assert "Settings" in _text(admin.get(f"/t/{t1}"))  # the nav shows admins their settings
    assert ">Settings<" not in _text(c.get(f"/t/{t1}"))


def test_round_page_shows_calibrated_and_raw_scores_agreement_and_each_answer(site):
    rid = site.played_round()
    page = _text(site.client("ada").get(f"/t/{site.team_id('T1')}/rounds/{rid}"))
    assert "Ada" in page and "Bilal" in page and "raw" in page and "fewer failed sends" in page
    assert "Raters agreed:" in page and "of 2 votes were within" in page  # ada's two votes are compared
    assert "Problem definition" in page  # per-dimension averages


def test_a_member_of_one_team_gets_404_for_another_teams_pages(site):
    rid = site.played_round()
    site.b.cmd("zoe", "streak")
    t1, t2 = site.team_id("T1"), site.team_id("T2")
    zoe = site.client("zoe", workspace="T2", admin=True)
    for path in (f"/t/{t1}", f"/t/{t1}/archive", f"/t/{t1}/rounds/{rid}", f"/t/{t1}/me", f"/t/{t1}/admin", f"/t/{t1}/library"):
        assert zoe.get(path).status_code == 404, path
    assert zoe.get(f"/t/{t2}/rounds/{rid}").status_code == 404  # A's round under B's id
    resp = zoe.post(f"/t/{t1}/admin/set", data={"csrf": "tok", "name": "pass-bar", "value": "2"})
    assert resp.status_code == 404
    with site.db.session() as s:
        assert s.get(Team, t1).pass_bar == 4.3


def test_signed_out_visitors_are_sent_to_sign_in_and_come_back_only_to_this_site(site):
    site.a.setup()
    t1 = site.team_id("T1")
    resp = site.client().get(f"/t/{t1}/archive")
    assert resp.status_code == 302 and "/signin?next=" in resp.headers["Location"]
    c = site.client()
    for evil in ("//evil.example/steal", "https://evil.example/", "/\\evil.example"):
        c.get("/signin", query_string={"next": evil})
        with c.session_transaction() as sess:
            assert sess["next"] == "/"
    c.get("/signin", query_string={"next": f"/t/{t1}/archive"})
    with c.session_transaction() as sess:
        assert sess["next"] == f"/t/{t1}/archive"


def test_a_non_admin_cannot_change_settings_and_the_team_is_unchanged(site):
    site.a.setup()
    t1 = site.team_id("T1")
    c = site.client("bilal")
    resp = c.post(f"/t/{t1}/admin/set", data={"csrf": "tok", "name": "pass-bar", "value": "2"})
    assert resp.status_code == 403
    assert c.post(f"/t/{t1}/admin/pause", data={"csrf": "tok"}).status_code == 403
    with site.db.session() as s:
        team = s.get(Team, t1)
        assert team.pass_bar == 4.3 and not team.paused


def test_a_form_without_the_sessions_csrf_token_is_refused(site):
    site.a.setup()
    t1 = site.team_id("T1")
    admin = site.client("admin", admin=True)
    assert admin.post(f"/t/{t1}/admin/set", data={"name": "pass-bar", "value": "2"}).status_code == 400
    assert admin.post(f"/t/{t1}/admin/set", data={"csrf": "forged", "name": "pass-bar", "value": "2"}).status_code == 400
    assert admin.post(f"/t/{t1}/me/preferences", data={"pref": "reminders", "value": "off"}).status_code == 400
    assert admin.post("/signout").status_code == 400
    with site.db.session() as s:
        assert s.get(Team, t1).pass_bar == 4.3


def test_a_settings_change_through_the_page_is_validated_audited_and_reaches_the_scheduler(site):
    site.a.setup()
    t1 = site.team_id("T1")
    heard: list[int] = []
    site.practice.on_team_change.append(heard.append)  # what the Scheduler listens with
    admin = site.client("admin", admin=True)
    resp = admin.post(f"/t/{t1}/admin/set", data={"csrf": "tok", "name": "answer-window", "value": "420"},
                      follow_redirects=True)
    assert "answer-window is now 420" in _text(resp)
    assert heard == [t1]
    resp = admin.post(f"/t/{t1}/admin/set", data={"csrf": "tok", "name": "pass-bar", "value": "9"}, follow_redirects=True)
    assert "pass-bar goes from 1 to 5 out of 5" in _text(resp)  # the core's sentence, as in chat
    admin.post(f"/t/{t1}/admin/setup", data={"csrf": "tok", "channel": "pm", "time": "10:30",
                                            "timezone": "America/New_York", "days": "mon-thu"})
    admin.post(f"/t/{t1}/admin/pause", data={"csrf": "tok"})
    admin.post(f"/t/{t1}/admin/skip", data={"csrf": "tok", "date": "2026-12-24"})
    with site.db.session() as s:
        team = s.get(Team, t1)
        assert (team.answer_minutes, team.pass_bar, team.practice_time, team.timezone) == (420, 4.3, "10:30", "America/New_York")
        assert team.paused and "2026-12-24" in team.skip_dates
        actions = [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.team_id == t1))]
    assert actions.count("set") == 1 and {"setup", "pause", "skip"} <= set(actions)
    assert heard == [t1] * 4  # each accepted change (set, setup, pause, skip), not the refused one
    page = _text(admin.get(f"/t/{t1}/admin"))
    assert "Resume prompts" in page and "2026-12-24" in page and "answer-window=420" in page


def test_every_set_setting_of_the_core_has_a_row_on_the_settings_page(site):
    from bot import teams
    site.a.setup()
    page = _text(site.client("admin", admin=True).get(f"/t/{site.team_id('T1')}/admin"))
    for name in (*teams.SETTINGS, "families"):
        assert f'name="name" value="{name}"' in page


def test_answers_stay_hidden_before_the_reveal_only_the_count_shows(site):
    a = site.a
    a.setup()
    a.advance(hours=1, minutes=5)
    a.cmd("ada", f"answer {ESSAY}")
    t1 = site.team_id("T1")
    with site.db.session() as s:
        rid = s.exec(select(Round.id)).one()
    for path in (f"/t/{t1}", f"/t/{t1}/rounds/{rid}"):
        page = _text(site.client("bilal").get(path))
        assert "fewer failed sends" not in page, page[page.index("fewer failed sends") - 300:][:400]
    assert "1 answer so far" in _text(site.client("bilal").get(f"/t/{t1}/rounds/{rid}"))
    assert "Answered so far</dt><dd>1" in _text(site.client("bilal").get(f"/t/{t1}"))


def test_archive_search_by_text_family_area_and_month(site, library):
    rid = site.played_round()
    t1 = site.team_id("T1")
    with site.db.session() as s:
        prompt = library.prompt(s.get(Round, rid).prompt_id)
    c = site.client("ada")
    link = f"/t/{t1}/rounds/{rid}"
    assert link in _text(c.get(f"/t/{t1}/archive?q=failed+sends"))  # an answer's words
    assert link in _text(c.get(f"/t/{t1}/archive?q={prompt.title.split()[1]}"))  # the case's words
    assert link not in _text(c.get(f"/t/{t1}/archive?q=zzzz_nothing%25"))
    assert link in _text(c.get(f"/t/{t1}/archive?family={prompt.category}&area={prompt.area}&month=2026-11"))
    assert link not in _text(c.get(f"/t/{t1}/archive?month=2026-10"))
    other = next(f for f in ("improve", "design", "prioritize") if f != prompt.category)
    assert link not in _text(c.get(f"/t/{t1}/archive?family={other}"))
    assert "a month — use YYYY-MM" in _text(c.get(f"/t/{t1}/archive?month=soon"))


def test_library_hides_the_outline_of_cases_still_to_come(site, library):
    rid = site.played_round()
    t1 = site.team_id("T1")
    with site.db.session() as s:
        done = s.get(Round, rid).prompt_id
    todo = next(p.id for p in library.prompts if p.id != done)
    c = site.client("ada")
    assert "Hidden: this case may still come up" in _text(c.get(f"/t/{t1}/library/{todo}"))
    page = _text(c.get(f"/t/{t1}/library/{done}"))
    assert "Hidden" not in page and "KPIs:" in page
    assert c.get(f"/t/{t1}/library/no-such-case").status_code == 404


def test_preferences_export_and_forget_me_run_the_chat_commands(site):
    site.played_round()
    t1 = site.team_id("T1")
    c = site.client("ada")
    page = _text(c.post(f"/t/{t1}/me/preferences", data={"csrf": "tok", "pref": "reminders", "value": "off"},
                        follow_redirects=True))
    assert "Reminders are off" in page
    assert "never between 22:00" in _text(c.post(f"/t/{t1}/me/preferences", follow_redirects=True, data={
        "csrf": "tok", "pref": "quiet", "start": "22:00", "end": "07:00"}))
    refused = _text(c.post(f"/t/{t1}/me/preferences", follow_redirects=True, data={
        "csrf": "tok", "pref": "quiet", "start": "late", "end": "07:00"}))
    assert "late" in refused  # the core's sentence about the time it couldn't read
    c.post(f"/t/{t1}/me/preferences", data={"csrf": "tok", "pref": "leaderboard", "value": "hide"})
    with site.db.session() as s:
        ada = s.exec(select(Member).where(Member.user_id == "ada")).one()
        assert (ada.reminders, ada.quiet_start, ada.leaderboard_opt_out) == (False, "22:00", True)
    board = _text(site.client("bilal").get(f"/t/{t1}/leaderboard?period=all"))
    assert "Ada" not in board  # hidden members stay hidden
    resp = c.post(f"/t/{t1}/me/export", data={"csrf": "tok"})
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    assert json.loads(resp.data)["member"]["user_id"] == "ada"
    c.post(f"/t/{t1}/me/forget", data={"csrf": "tok", "confirm": "yes"})
    with site.db.session() as s:
        assert s.exec(select(Member).where(Member.user_id == "ada")).first() is None


def test_my_progress_draws_the_progress_numbers_as_an_accessible_svg(site):
    from tests.conftest import seed_rated_rounds
    site.a.cmd("ada", "streak")
    seed_rated_rounds(site.db, "test", "T1", "ada", n=4)
    page = _text(site.client("ada").get(f"/t/{site.team_id('T1')}/me/progress"))
    assert page.count("<svg") == 2 and 'role="img"' in page and "<desc" in page
    assert "4 rated answers" in page and "Work on:" in page


def test_results_in_chat_end_with_the_rounds_link_when_a_public_url_is_set(db, clock, library, fake):
    site = Site(db, clock, library, fake)
    site.practice.public_url = "https://practice.example.com"
    rid = site.played_round()
    link = f"https://practice.example.com/t/{site.team_id('T1')}/rounds/{rid}"
    footers = [s["message"].footer for s in site.a.port.sent if s["message"].title.startswith("Results")]
    assert footers and link in footers[0]
    assert site.client("ada").get(urlsplit(link).path).status_code == 200


def test_session_cookie_is_signed_httponly_samesite_and_secure_behind_https(db, clock, library, fake):
    site = Site(db, clock, library, fake, public_url="https://practice.example.com")
    resp = site.client().get("/signin")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_local_sign_in_lists_console_members_and_exists_only_on_loopback(db, clock, library, fake):
    from bot.events import Command, Who
    site = Site(db, clock, library, fake)
    site.practice.handle(Command(Who("console", "local", "ada", "Ada", is_admin=True), "streak"))
    site.a.cmd("zed", "streak")  # a team on another platform is never offered
    c = site.web.test_client()
    page = _text(c.get("/signin"))
    assert "Ada" in page and "Zed" not in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    team = site.team_id("local")
    resp = c.post("/signin/local", data={"csrf": token, "member": f"{team}:ada"})
    assert resp.status_code == 302
    assert "Ada" in _text(c.get(f"/t/{team}"))
    assert c.get(f"/t/{team}/admin").status_code == 200  # the console's user is its admin
    away = site.web.test_client()
    assert away.post("/signin/local", data={"csrf": token, "member": f"{team}:ada"},
                     environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    closed = create_app(site.app, local_signin=False).test_client()
    assert closed.post("/signin/local", data={"member": f"{team}:ada"}).status_code == 404
    assert "Ada" not in _text(closed.get("/signin"))
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")


def _follow_provider(c, start: str) -> tuple[str, str]:
    """Press 'Sign in with …', let the fake provider answer, return our callback path and query."""
    import urllib.request
    resp = c.get(start)
    assert resp.status_code == 302
    authorize = resp.headers["Location"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kw):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(authorize)
    except urllib.error.HTTPError as exc:
        back = urlsplit(exc.headers["Location"])
        return back.path, back.query
    raise AssertionError("the fake provider did not redirect back")


def test_slack_sign_in_with_openid_connect_against_a_fake_slack(db, clock, library, fake):
    site = Site(db, clock, library, fake)
    from bot.events import Command, Who
    site.practice.handle(Command(Who("slack", "TS1", "U1", "Una"), "streak"))
    fake.next = Person(slack_team="TS1", slack_user="U1", name="Una")
    fake.users["U1"] = True
    c = site.web.test_client()
    path, query = _follow_provider(c, "/signin/slack")
    authorize = next(p for p, _ in reversed(fake.calls) if p == "/openid/connect/authorize")
    params = next(q for p, q in reversed(fake.calls) if p == authorize)
    assert set(params["scope"].replace(",", " ").split()) == {"openid", "profile"} and params["client_id"] == fake.CLIENT_ID and params["nonce"]
    assert path == "/signin/slack/callback"
    resp = c.get(f"{path}?{query}")
    assert resp.status_code == 302
    team = site.team_id("TS1")
    assert c.get(f"/t/{team}/admin").status_code == 200  # users.info said admin
    # A callback whose state this browser didn't start is refused.
    other = site.web.test_client()
    other.get("/signin/slack")
    code = parse_qs(query)["code"][0]
    resp = other.get(f"/signin/slack/callback?code={code}&state=forged")
    assert resp.status_code == 400 and "expired" in _text(resp)
    assert other.get(f"/t/{team}").status_code == 302  # still signed out
    # An ID token minted for another sign-in (its nonce isn't this browser's) is refused.
    fake.next = Person(slack_team="TS1", slack_user="U1", name="Una")
    fake.replay_nonce = "someone-elses-nonce"
    try:
        c3 = site.web.test_client()
        path, query = _follow_provider(c3, "/signin/slack")
        resp = c3.get(f"{path}?{query}")
        assert resp.status_code == 400 and "wasn" in _text(resp)
        assert c3.get(f"/t/{team}").status_code == 302
    finally:
        fake.replay_nonce = None
    # A workspace without sensebot signs nobody in.
    fake.next = Person(slack_team="TNONE", slack_user="U9", name="Nine")
    c2 = site.web.test_client()
    path, query = _follow_provider(c2, "/signin/slack")
    assert c2.get(f"{path}?{query}").status_code == 403


def test_discord_sign_in_with_oauth2_membership_and_manage_server(db, clock, library, fake):
    site = Site(db, clock, library, fake)
    from bot.events import Command, Who
    for guild in ("111", "222"):
        site.practice.handle(Command(Who("discord", guild, "42", "Dee"), "streak"))
    fake.next = Person(discord_user="42", name="Dee", guilds=[
        {"id": "111", "owner": False, "permissions": str(1 << 5)},  # Manage Server
        {"id": "222", "owner": False, "permissions": "0"},
        {"id": "333", "owner": True, "permissions": "0"},  # no sensebot there
    ])
    c = site.web.test_client()
    path, query = _follow_provider(c, "/signin/discord")
    token_call = next(q for p, q in reversed(fake.calls) if p == "/oauth2/authorize")
    assert token_call["scope"] == "identify guilds"
    resp = c.get(f"{path}?{query}")
    assert resp.status_code == 302
    g1, g2 = site.team_id("111"), site.team_id("222")
    assert c.get(f"/t/{g1}/admin").status_code == 200
    assert c.get(f"/t/{g2}").status_code == 200 and c.get(f"/t/{g2}/admin").status_code == 403
    assert "Your teams" in _text(c.get("/"))
    other = site.web.test_client()
    other.get("/signin/discord")
    resp = other.get(f"{path}?code=whatever&state=forged")
    assert resp.status_code == 400 and "expired" in _text(resp)


def test_web_settings_from_the_environment_are_checked_with_a_sentence():
    s = config.load({"SENSEBOT_PUBLIC_URL": "https://practice.example.com/", "SENSEBOT_WEB_PORT": "8080",
                     "SENSEBOT_WEB_SECRET": "x" * 40, "DISCORD_CLIENT_SECRET": "discord-secret-value"})
    assert (s.public_url, s.web_port) == ("https://practice.example.com", 8080)
    assert "x" * 40 not in repr(s) and "discord-secret-value" not in repr(s)
    assert "x" * 40 in s.secrets  # redacted from logs like every secret
    with pytest.raises(config.ConfigError) as err:
        config.load({"SENSEBOT_WEB_PORT": "web", "SENSEBOT_WEB_SECRET": "short", "SENSEBOT_PUBLIC_URL": "practice",
                     "SLACK_OAUTH_URL": "ftp://x"})
    text = " ".join(err.value.problems)
    for phrase in ("SENSEBOT_WEB_PORT should be a port", "SENSEBOT_WEB_SECRET is too short",
                   "SENSEBOT_PUBLIC_URL 'practice'", "SLACK_OAUTH_URL"):
        assert phrase in text
