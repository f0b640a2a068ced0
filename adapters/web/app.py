"""The Flask app factory: sessions, security headers, CSRF, error pages, the blueprints.

Cookies are signed (SENSEBOT_WEB_SECRET; a random key per process when unset, so sessions end
at a restart), HttpOnly and SameSite=Lax, and Secure whenever the public address is https.
"""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from bot.app import App

log = logging.getLogger(__name__)

SESSION_HOURS = 12
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def create_app(app: App, *, local_signin: bool = False) -> Flask:
    """`local_signin`: offer the console teams' no-accounts sign-in (only ever when bound to loopback)."""
    from authlib.integrations.flask_client import OAuth

    from adapters.web import access, pages, signin

    settings = app.settings
    web = Flask(__name__, static_folder="static", template_folder="templates")
    if not settings.web_secret:
        log.info("SENSEBOT_WEB_SECRET is not set: sign-ins last until this process restarts")
    web.config.update(
        SECRET_KEY=settings.web_secret or secrets.token_urlsafe(32),
        SESSION_COOKIE_NAME="sensebot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax, not Strict: the OAuth providers redirect back to us with a GET
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        MAX_CONTENT_LENGTH=64 * 1024,
        SETTINGS=settings, PRACTICE=app.practice, LOCAL_SIGNIN=local_signin,
    )
    oauth = OAuth(web)
    if settings.discord_application_id and settings.discord_client_secret:
        signin.register_discord(oauth, settings)
    web.config["OAUTH"] = oauth
    web.register_blueprint(signin.bp)
    web.register_blueprint(pages.bp)
    web.jinja_env.globals.update(csrf_token=access.csrf_token, signed_in=signin.signed_in)
    web.jinja_env.autoescape = True

    @web.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @web.errorhandler(HTTPException)
    def error(exc: HTTPException):
        if exc.code in (401, 403) or (exc.code == 404 and not access.identities() and request.path.startswith("/t/")):
            # Not signed in (or no longer): sign in first, then come back here.
            if not access.identities():
                from flask import redirect, url_for
                return redirect(url_for("signin.page", next=access.safe_next(request.full_path.rstrip("?"))))
        messages = {400: exc.description or "That request wasn't understood.",
                    403: "This page is for the team's admins.",
                    404: "There's nothing here — or it belongs to a team you're not in."}
        return render_template("error.html", code=exc.code, message=messages.get(exc.code, exc.description)), exc.code

    return web
