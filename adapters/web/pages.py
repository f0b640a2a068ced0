"""The team's pages: home, archive, a round, me (answers, progress, drills, preferences, export,
forget-me), leaderboards, the library, and the admin settings.

Pages read the core's read models inside one transaction; every change is the chat command
that does the same thing, run through `Practice.handle` (same validation, audit log, and the
scheduler's `on_team_change` listeners), and its answer is shown as a notice after a redirect.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from adapters.web import settings_form, svg
from adapters.web.access import Identity, check_csrf, identities, is_admin, member_of, my_teams
from bot import archive, day, drills, leaderboard, outbox, progress, rounds, streaks, teams
from bot.content import AREAS, CATEGORY_NAMES, DIMENSIONS
from bot.context import Ctx, UserError
from bot.events import Command
from bot.messages import Reply
from bot.practice import ADMIN_COMMANDS, Practice
from bot.rubric import averages, weakest, weighted

bp = Blueprint("pages", __name__)


def _practice() -> Practice:
    return current_app.config["PRACTICE"]


def _read(team_id: int, view: Callable[[Ctx, object, Identity], object]):
    """Run a page's reads in one transaction, for a team the person belongs to (else 404)."""
    def run(ctx: Ctx):
        team, ident = member_of(ctx, team_id)
        return view(ctx, team, ident)
    return _practice().with_ctx(run)


def _page(template: str, ctx: Ctx, team, ident: Identity, **kw) -> str:
    return render_template(template, team=team, ident=ident, admin=is_admin(ident), when=lambda dt: teams.when(dt, team),
                           families=CATEGORY_NAMES, **kw)


def _run(team_id: int, name: str, args: tuple[str, ...] = ()) -> Reply:
    """A chat command on the person's behalf, in their team: the one way pages change anything."""
    check_csrf()
    ident = _practice().with_ctx(lambda ctx: member_of(ctx, team_id)[1])
    return _practice().handle(Command(ident.who(), name, tuple(a for a in args)))


def _notice(reply: Reply) -> None:
    for m in reply.messages:
        flash(" — ".join(p for p in (m.title, m.text) if p))


@bp.get("/")
def index():
    if not identities():
        return redirect(url_for("signin.page"))
    mine = _practice().with_ctx(lambda ctx: [(t.id, t.name or t.workspace_id, t.platform) for t, _ in my_teams(ctx)])
    if len(mine) == 1:
        return redirect(url_for("pages.home", team_id=mine[0][0]))
    return render_template("teams.html", teams=mine)


@bp.get("/t/<int:team_id>")
def home(team_id: int):
    def view(ctx: Ctx, team, ident):
        page = archive.open_case(ctx, team)
        last = archive.latest_finished(ctx, team)
        week = archive.team_week(ctx, team)
        nxt = None if page else next((s for s in day.upcoming(ctx, team) if s.name == "open"), None)
        return _page("home.html", ctx, team, ident, current=page, last=last, week=week, next_open=nxt,
                     streaks=leaderboard.by_streak(ctx, team, "week", limit=5),
                     participation=svg.participation(week.days),
                     team_chart=svg.dimension_bars(week.averages, ctx.library.rubric, team.pass_bar,
                                                   "Team average per dimension this week"))
    return _read(team_id, view)


@bp.get("/t/<int:team_id>/archive")
def archive_page(team_id: int):
    q = {k: request.args.get(k, "").strip()[:100] for k in ("q", "family", "area", "month")}
    try:
        pg = max(1, int(request.args.get("page", "1")))
    except ValueError:
        pg = 1

    def view(ctx: Ctx, team, ident):
        error = ""
        try:
            found, total = archive.finished_rounds(ctx, team, text=q["q"], family=q["family"], area=q["area"],
                                                   month=q["month"], page=pg)
        except UserError as exc:
            found, total, error = [], 0, str(exc)
        more = pg * archive.PAGE_SIZE < total
        nxt = url_for("pages.archive_page", team_id=team.id) + "?" + urlencode({**q, "page": pg + 1}) if more else ""
        return _page("archive.html", ctx, team, ident, rounds=found, total=total, q=q, areas=AREAS, error=error,
                     next_url=nxt)
    return _read(team_id, view)


@bp.get("/t/<int:team_id>/rounds/<int:round_id>")
def round_page(team_id: int, round_id: int):
    def view(ctx: Ctx, team, ident):
        page = archive.round_page(ctx, team, round_id)
        if page is None:
            abort(404)
        return _page("round.html", ctx, team, ident, page=page, rubric=ctx.library.rubric,
                     outline=rounds.outline_text(page.prompt).splitlines() if page.outline and page.prompt else [],
                     agreement=page.results.agreement.sentence() if page.results and page.results.agreement
                     and page.results.votes else "")
    return _read(team_id, view)


@bp.get("/t/<int:team_id>/me")
def me(team_id: int):
    def view(ctx: Ctx, team, ident):
        member = teams.find_member(ctx, team, ident.user_id)
        mine = archive.member_answers(ctx, team, member.id) if member else []
        mydrills = drills.history(ctx, team, member) if member else []
        info = streaks.streak(ctx, team, member) if member else None
        titles = {d.id: ctx.library.prompt(d.content_id).title if ctx.library.prompt(d.content_id) else d.content_id
                  for d in mydrills}
        return _page("me.html", ctx, team, ident, member=member, answers=mine, drills=mydrills, streak=info,
                     drill_titles=titles, rubric=ctx.library.rubric)
    return _read(team_id, view)


@bp.get("/t/<int:team_id>/me/progress")
def my_progress(team_id: int):
    def view(ctx: Ctx, team, ident):
        member = teams.find_member(ctx, team, ident.user_id)
        rubric = ctx.library.rubric
        rated = progress.rated_answers(ctx, team, member) if member else []
        avg = averages(r.dimensions for r in rated) if rated else {}
        weak = rubric.dimension(weakest(avg, rubric)) if avg else None
        return _page("progress.html", ctx, team, ident, rated=rated, avg=avg, weak=weak, rubric=rubric,
                     overall=weighted(avg, rubric) if avg else None,
                     streak=streaks.streak(ctx, team, member) if member else None,
                     score_chart=svg.progress_chart(rated, rubric, team.pass_bar) if rated else None,
                     dims_chart=svg.dimension_bars(avg, rubric, team.pass_bar, "Your average per dimension") if avg else None)
    return _read(team_id, view)


# Preferences: each is the chat command that sets it.
PREFERENCES = {
    "reminders": lambda f: ("reminders", (f.get("value", ""),)),
    "quiet": lambda f: ("reminders", ("quiet", f.get("start", ""), f.get("end", ""))),
    "leaderboard": lambda f: ("leaderboard", (f.get("value", ""),)),
    "pairs": lambda f: ("pairs", (f.get("value", ""),)),
}


@bp.post("/t/<int:team_id>/me/preferences")
def preferences(team_id: int):
    make = PREFERENCES.get(request.form.get("pref", ""))
    if make is None:
        abort(400)
    name, args = make(request.form)
    _notice(_run(team_id, name, args))
    return redirect(url_for("pages.me", team_id=team_id) + "#preferences")


@bp.post("/t/<int:team_id>/me/export")
def export(team_id: int):
    reply = _run(team_id, "export")
    if reply.attachment is None:
        _notice(reply)
        return redirect(url_for("pages.me", team_id=team_id))
    return Response(reply.attachment.content, mimetype=reply.attachment.mime,
                    headers={"Content-Disposition": f'attachment; filename="{reply.attachment.filename}"'})


@bp.route("/t/<int:team_id>/me/forget", methods=["GET", "POST"])
def forget(team_id: int):
    if request.method == "GET":
        return _read(team_id, lambda ctx, team, ident: _page("forget.html", ctx, team, ident))
    if request.form.get("confirm") != "yes":
        check_csrf()
        return redirect(url_for("pages.me", team_id=team_id))
    _notice(_run(team_id, "forget-me", ("confirm",)))
    return redirect(url_for("pages.home", team_id=team_id))


@bp.get("/t/<int:team_id>/leaderboard")
def leaderboards(team_id: int):
    period = request.args.get("period", "week")
    if period not in leaderboard.PERIODS:
        period = "week"

    def view(ctx: Ctx, team, ident):
        return _page("leaderboard.html", ctx, team, ident, period=period, periods=leaderboard.PERIODS,
                     by_score=leaderboard.by_score(ctx, team, ctx.library.rubric, period),
                     by_streak=leaderboard.by_streak(ctx, team, period))
    return _read(team_id, view)


@bp.get("/t/<int:team_id>/library")
def library(team_id: int):
    family, area = request.args.get("family", ""), request.args.get("area", "")

    def view(ctx: Ctx, team, ident):
        try:
            cases = rounds.available_prompts(ctx, team)
        except UserError:
            cases = []
        shown = [p for p in cases if (not family or p.category == family) and (not area or p.area == area)]
        return _page("library.html", ctx, team, ident, cases=shown, family=family, area=area, areas=AREAS,
                     done=archive.done_cases(ctx, team))
    return _read(team_id, view)


@bp.get("/t/<int:team_id>/library/<prompt_id>")
def case(team_id: int, prompt_id: str):
    def view(ctx: Ctx, team, ident):
        try:
            prompt = next((p for p in rounds.available_prompts(ctx, team) if p.id == prompt_id), None)
        except UserError:
            prompt = None
        if prompt is None:
            abort(404)
        done = prompt.id in archive.done_cases(ctx, team)
        return _page("case.html", ctx, team, ident, prompt=prompt, done=done,
                     outline=rounds.outline_text(prompt).splitlines() if done else [])
    return _read(team_id, view)


# ---------------------------------------------------------------- admin


def _admin_only(ctx: Ctx, team_id: int):
    team, ident = member_of(ctx, team_id)
    if not is_admin(ident):
        abort(403)
    return team, ident


@bp.get("/t/<int:team_id>/admin")
def admin(team_id: int):
    def run(ctx: Ctx):
        team, ident = _admin_only(ctx, team_id)
        steps = day.upcoming(ctx, team)[:8]
        return _page("admin.html", ctx, team, ident, rows=settings_form.rows(team), steps=steps,
                     describe=teams.describe(team), failed=outbox.failed_rows(ctx, team),
                     audit=teams.recent_audit(ctx, team, limit=10), can_unskip="unskip" in ADMIN_COMMANDS,
                     dims=DIMENSIONS)
    return _practice().with_ctx(run)


def _admin_command(team_id: int, name: str, args: tuple[str, ...]):
    check_csrf()
    _practice().with_ctx(lambda ctx: _admin_only(ctx, team_id))
    _notice(_run(team_id, name, args))
    return redirect(url_for("pages.admin", team_id=team_id))


@bp.post("/t/<int:team_id>/admin/set")
def admin_set(team_id: int):
    return _admin_command(team_id, "set", (request.form.get("name", ""), request.form.get("value", "").strip()))


@bp.post("/t/<int:team_id>/admin/setup")
def admin_setup(team_id: int):
    f = request.form
    return _admin_command(team_id, "setup", tuple(f.get(k, "").strip() for k in ("channel", "time", "timezone", "days")
                                                  if f.get(k, "").strip() or k != "days"))


@bp.post("/t/<int:team_id>/admin/<any(skip, unskip):action>")
def admin_skip(team_id: int, action: str):
    return _admin_command(team_id, action, (request.form.get("date", "").strip(),))


@bp.post("/t/<int:team_id>/admin/<any(pause, resume):action>")
def admin_pause(team_id: int, action: str):
    return _admin_command(team_id, action, ())
