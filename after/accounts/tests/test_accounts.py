import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_rotates_the_session_key(client, django_user_model):
    django_user_model.objects.create_user("ann", password="pw-for-ann-1")
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key

    response = client.post(reverse("accounts:login"), {"username": "ann", "password": "pw-for-ann-1"})

    assert response.status_code == 302
    assert client.session.session_key != before


def test_me_page_names_the_user(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ann"))

    response = client.get(reverse("accounts:me"))

    assert b"ann" in response.content
    assert response["X-Served-By"]
