"""The team's web home: server-rendered pages (Flask + Jinja2) over the core's read models.

`app.create_app` builds the Flask app; `signin` holds the three ways in (Slack OpenID Connect,
Discord OAuth2, and the local console sign-in); `pages` the team's pages; `settings_form` the one
table the admin settings page is drawn from; `svg` the charts; `serve` the HTTP server and its
composition with Slack's endpoints. The core never imports any of this.
"""
