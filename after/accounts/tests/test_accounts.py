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


def sign_up(client, username, password):
    return client.post(reverse("accounts:signup"), {"username": username, "password1": password, "password2": password})


@pytest.mark.parametrize("password", ["a", "1", "password", "12345678901", "ann-signs-up"])
def test_a_weak_password_is_refused_at_sign_up_with_the_reason(client, django_user_model, password):
    response = sign_up(client, "ann-signs-up", password)

    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not django_user_model.objects.filter(username="ann-signs-up").exists()


@pytest.mark.parametrize("username", ["\u0430dmin", "p\u0430ypal", "\u03bfscar"])  # Cyrillic a, Greek omicron
def test_a_name_mixing_look_alike_alphabets_is_refused(client, django_user_model, username):
    response = sign_up(client, username, "correct-horse-battery-staple")

    assert response.status_code == 400
    assert b"one alphabet" in response.content
    assert not django_user_model.objects.filter(username=username).exists()


@pytest.mark.parametrize("username", ["ann", "\u0430\u043d\u043d\u0430", "\u5c71\u7530\u305f\u308d\u3046", "ann-1"])
def test_a_name_in_one_alphabet_signs_up(client, django_user_model, username):
    response = sign_up(client, username, "correct-horse-battery-staple")

    assert response.status_code == 302
    assert django_user_model.objects.filter(username=username).exists()
