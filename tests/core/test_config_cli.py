"""Settings from the environment: every mistake is one sentence and exit code 2, never a traceback."""
import logging

import pytest

from bot import config
from bot.cli import main
from bot.config import ConfigError


def test_defaults_are_the_embedded_default():
    s = config.load({})
    assert s.database_url == "sqlite:///sensebot.db" and s.timezone == "UTC" and s.log_level == "INFO"


def test_postgres_urls_from_hosts_are_accepted():
    s = config.load({"SENSEBOT_DATABASE_URL": "postgres://u:p@db:5432/sense"})
    assert s.database_url == "postgresql+psycopg://u:p@db:5432/sense"


@pytest.mark.parametrize("env,sentence", [
    ({"SENSEBOT_TIMEZONE": "Europe/Berln"}, "did you mean Europe/Berlin?"),
    ({"SENSEBOT_DATABASE_URL": "not a url"}, "is not a database URL"),
    ({"SENSEBOT_DATABASE_URL": "mysql://x/y"}, "does not support"),
    ({"SENSEBOT_LOG_LEVEL": "LOUD"}, "SENSEBOT_LOG_LEVEL 'LOUD' is not one of"),
    ({"DISCORD_GUILD_ID": "my-server"}, "numeric id"),
])
def test_bad_settings_say_what_to_fix(env, sentence):
    with pytest.raises(ConfigError) as exc:
        config.load(env)
    assert sentence in str(exc.value)


def test_cli_exits_2_with_a_sentence_and_no_traceback(monkeypatch, capsys):
    monkeypatch.setenv("SENSEBOT_TIMEZONE", "Mars/Olympus")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "Timezone 'Mars/Olympus' is unknown" in err and "Traceback" not in err


def test_missing_tokens_are_explained():
    s = config.load({})
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        s.require_slack(socket_mode=True)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN should start with xapp-"):
        config.load({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}).require_slack(socket_mode=True)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        s.require_discord()


def test_secrets_stay_out_of_repr_and_logs(caplog):
    secret = "xoxb-123456789-secret-token"
    s = config.load({"SLACK_BOT_TOKEN": secret})
    assert secret not in repr(s)
    handler_filter = config.RedactingFilter(s.secrets)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "calling with %s", (secret,), None)
    handler_filter.filter(record)
    assert secret not in record.getMessage() and "***" in record.getMessage()
    # Discord's interaction tokens ride in URLs that discord.py logs at DEBUG
    token = "aW50ZXJhY3Rpb246MTMwMDAwMDAwMDpzZWNyZXQ"
    record = logging.LogRecord("discord.http", logging.DEBUG, __file__, 1,
                               "POST https://discord.com/api/v10/interactions/1300/%s/callback", (token,), None)
    handler_filter.filter(record)
    assert token not in record.getMessage() and "/interactions/1300/***/callback" in record.getMessage()


def test_db_upgrade_and_backup(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SENSEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    assert main(["db", "upgrade"]) == 0
    assert "revision 0010_lib" in capsys.readouterr().out  # the head migration (chained at merge)
    assert main(["db", "backup", str(tmp_path / "copy.db")]) == 0
    assert (tmp_path / "copy.db").stat().st_size > 0
    assert main(["db", "backup", str(tmp_path / "copy.db")]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
