import pytest

from config import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_runs(client):
    """/healthz says only that the process answers."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz_lists_every_dependency_as_ok_when_all_answer(client):
    """/readyz checks the database (and, where the tree uses them, Redis and S3)."""
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert set(response.json().values()) == {"ok"}


def test_readyz_answers_503_naming_the_dependency_that_is_down(client, monkeypatch):
    """When one dependency fails its check, /readyz is 503 and names it; the others still say ok."""

    def unreachable():
        raise ConnectionError("refused")

    monkeypatch.setitem(health.DEPENDENCIES, "database", unreachable)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert [state for name, state in response.json().items() if name != "database"] == ["ok"] * (
        len(health.DEPENDENCIES) - 1
    )


def test_every_page_has_a_content_security_policy_and_personal_ones_are_private(client):
    page = client.get("/accounts/login/")

    assert "default-src 'self'" in page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "private" in page["Cache-Control"]
