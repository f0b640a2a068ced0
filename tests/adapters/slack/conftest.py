"""Fixtures for the Slack adapter: a fake Slack Web API and a workspace driven through bolt."""
from __future__ import annotations

import pytest

from tests.adapters.slack.harness import SlackTeam
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def fake():
    with FakeSlack(users={"UADMIN": {"name": "grace", "real_name": "Grace", "is_admin": True},
                          "UOWNER": {"name": "olive", "real_name": "Olive", "is_owner": True},
                          "U1": {"name": "ada", "real_name": "Ada"},
                          "U2": {"name": "bilal", "real_name": "Bilal"},
                          "U3": {"name": "chen", "real_name": "Chen"}}) as server:
        yield server


@pytest.fixture(params=["dispatch", "http"])
def transport(request):
    return request.param


@pytest.fixture
def slack(fake, db, clock, library):
    team = SlackTeam(fake, db, clock, library)
    yield team
    team.close()


@pytest.fixture
def slack_http(fake, db, clock, library):
    team = SlackTeam(fake, db, clock, library, transport="http")
    yield team
    team.close()
