"""`python -m stateless_checks`: run on a project without editing it, as text or JSON, with an exit code."""

import json

from tests.scorecard import cli


def test_the_cli_prints_each_finding_and_exits_1_when_a_project_keeps_state(tmp_path):
    """The project's settings do not list stateless_checks: the CLI adds it for this run."""
    result = cli("file_sessions", workdir=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "SESSION_ENGINE: (stateless.W001)" in result.stdout
    assert "stateless_checks: 1 finding." in result.stdout


def test_the_cli_exits_0_when_every_finding_is_below_the_fail_level(tmp_path):
    """Every check is a warning, so --fail-level ERROR reports them and still succeeds."""
    result = cli("file_sessions", "--fail-level", "ERROR", workdir=tmp_path)
    assert (result.returncode, "(stateless.W001)" in result.stdout) == (0, True)


def test_the_cli_prints_json_with_id_level_object_message_and_hint(tmp_path):
    """Machine-readable output: one object per finding."""
    result = cli("file_sessions", "--json", workdir=tmp_path)
    [finding] = json.loads(result.stdout)
    assert {k: finding[k] for k in ("id", "level", "obj")} == {
        "id": "stateless.W001",
        "level": "WARNING",
        "obj": "SESSION_ENGINE",
    }
    assert "/var/lib/shop/sessions" in finding["msg"] and finding["hint"].startswith("Keep sessions")


def test_the_cli_exits_0_with_an_empty_list_on_a_project_that_keeps_nothing(tmp_path):
    result = cli("stateless_shop", "--json", workdir=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_the_hardening_advice_is_reported_only_when_its_tag_is_asked_for(tmp_path):
    """SimpleJWT without AUDIENCE and ISSUER is advice, under stateless_hardening."""
    assert cli("simplejwt_without_audience", "--json", workdir=tmp_path).stdout.strip() == "[]"
    result = cli("simplejwt_without_audience", "--json", "--tag", "stateless_hardening", workdir=tmp_path)
    assert [f["id"] for f in json.loads(result.stdout)] == ["stateless.W042"]


def test_the_cli_exits_2_when_the_settings_cannot_be_imported(tmp_path):
    result = cli("file_sessions", "--settings=no_such_settings", workdir=tmp_path)
    assert result.returncode == 2
    assert "cannot load the settings" in result.stderr
