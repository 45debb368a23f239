"""What a penetration test checks first, on every topology: headers, sign-up rules, bad numbers."""

import uuid

import pytest

from harness import Visitor


def test_the_load_balancer_does_not_say_which_nginx_it_is(topology):
    """The Server header and nginx's own error pages name no version to look vulnerabilities up by."""
    page = Visitor(topology).get("/")
    missing = Visitor(topology).get("/" + "x" * 9000)  # past nginx's header buffers: its own 414 page

    assert page.headers["Server"] == "nginx"
    assert missing.status_code == 414 and missing.headers["Server"] == "nginx"
    assert "nginx/" not in missing.text


def test_every_page_has_a_content_security_policy_and_your_pages_are_not_kept_by_shared_caches(topology):
    """Pages allow scripts, styles and sockets from the shop itself only; a page that depends on who you
    are (your cart) says `Cache-Control: private`, so no proxy between you and the shop serves it to another."""
    visitor = Visitor(topology)
    visitor.sign_up()

    cart = visitor.get("/cart/")

    assert "default-src 'self'" in cart.headers["Content-Security-Policy"]
    assert "private" in cart.headers["Cache-Control"]


@pytest.mark.parametrize("password", ["a", "1", "password", "12345678901"])
def test_a_weak_password_is_refused_at_sign_up_with_the_reason(topology, password):
    """Too short, too common or all digits: the sign-up form says why, and no account is made."""
    visitor = Visitor(topology)
    username = f"ann-{uuid.uuid4().hex[:8]}"
    form = {"username": username, "password1": password, "password2": password}

    response = visitor.post("/accounts/signup/", form)

    assert response.status_code == 400
    assert 'class="errorlist' in response.text
    assert visitor.log_in(username, password).status_code == 200


def test_a_name_that_mixes_look_alike_alphabets_is_refused_at_sign_up(topology):
    """ "аdmin" with a Cyrillic а looks like admin: a name mixing such alphabets is refused."""
    form = {"username": "\u0430dmin", "password1": "correct-horse-battery-staple"}
    form["password2"] = form["password1"]

    response = Visitor(topology).post("/accounts/signup/", form)

    assert response.status_code == 400
    assert "one alphabet" in response.text
