"""The JSON API in one process, through its endpoints: the same tests pass on both token implementations."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Product

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-the-api-1"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ann", password=PASSWORD)


@pytest.fixture
def api():
    return APIClient()


def obtain(api, username="ann", password=PASSWORD):
    return api.post(reverse("api:token"), {"username": username, "password": password}, format="json")


def me(api, access):
    return api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(api, token):
    return api.post(reverse("api:token-refresh"), {"refresh": token}, format="json")


def logout(api, access, token):
    return api.post(reverse("api:logout"), {"refresh": token}, format="json", HTTP_AUTHORIZATION=f"Bearer {access}")


def test_right_password_gives_an_access_and_a_refresh_token_that_identify_you(api, user):
    """The password buys two tokens; the access token is enough to be recognised."""
    tokens = obtain(api).json()

    response = me(api, tokens["access"])

    assert response.status_code == 200
    assert response.json()["username"] == "ann"


def test_wrong_password_or_inactive_account_gets_401_and_no_tokens(api, user):
    """A wrong password, or a deactivated account, gets a 401 with a message and no tokens."""
    wrong = obtain(api, password="not-it")
    user.is_active = False
    user.save()
    inactive = obtain(api)

    assert [wrong.status_code, inactive.status_code] == [401, 401]
    assert "access" not in wrong.json() and wrong.json()["detail"]


def test_refresh_gives_a_new_pair_and_the_old_refresh_token_is_used_up(api, user):
    """Refreshing rotates: the new tokens work and the old refresh token is refused."""
    old = obtain(api).json()

    new = refresh(api, old["refresh"])
    works = me(api, new.json()["access"]).status_code
    again = refresh(api, old["refresh"])

    assert new.status_code == 200
    assert new.json()["refresh"] != old["refresh"]
    assert works == 200
    assert again.status_code == 401


def test_a_refresh_token_used_again_revokes_every_token_of_its_login_and_no_other(api, user):
    """Whoever presents a rotated refresh token again holds a copy: that login ends, the pair the first
    use gave included, whichever of the two came first; another login of the account goes on."""
    first, other = obtain(api).json(), obtain(api).json()
    new = refresh(api, first["refresh"]).json()

    reused = refresh(api, first["refresh"])

    assert reused.status_code == 401 and reused.json()["detail"]
    assert [me(api, new["access"]).status_code, refresh(api, new["refresh"]).status_code] == [401, 401]
    assert me(api, first["access"]).status_code == 401
    assert me(api, other["access"]).status_code == 200


def test_an_authenticated_read_loads_the_user_and_its_revocations_in_one_query(api, user, django_assert_num_queries):
    """The check that a token is still good costs no round trip of its own: one SQL query, the user's."""
    access = obtain(api).json()["access"]
    me(api, access)

    with django_assert_num_queries(1):
        assert me(api, access).status_code == 200


def test_logout_refuses_both_the_access_and_the_refresh_token(api, user):
    """After logout, neither the access token nor the refresh token is accepted."""
    tokens = obtain(api).json()

    response = logout(api, tokens["access"], tokens["refresh"])

    assert response.status_code in (200, 205)
    assert me(api, tokens["access"]).status_code == 401
    assert refresh(api, tokens["refresh"]).status_code == 401


def test_logout_refuses_the_access_tokens_issued_before_the_last_refresh_too(api, user):
    """Logging out ends the whole login: an access token from before a refresh is refused at once."""
    old = obtain(api).json()
    new = refresh(api, old["refresh"]).json()

    logout(api, new["access"], new["refresh"])

    assert me(api, old["access"]).status_code == 401


def test_logout_everywhere_ends_every_login_of_the_account_and_no_one_elses(api, user, django_user_model):
    """Two logins of ann end at once; bob's goes on; without a token the endpoint is a 401."""
    django_user_model.objects.create_user("bob", password=PASSWORD)
    phone, laptop, bob = obtain(api).json(), obtain(api).json(), obtain(api, "bob").json()

    anonymous = api.post(reverse("api:logout-everywhere"))
    response = api.post(reverse("api:logout-everywhere"), HTTP_AUTHORIZATION=f"Bearer {laptop['access']}")

    assert anonymous.status_code == 401
    assert response.status_code == 200 and response.json()["detail"]
    assert [me(api, phone["access"]).status_code, refresh(api, phone["refresh"]).status_code] == [401, 401]
    assert [me(api, laptop["access"]).status_code, refresh(api, laptop["refresh"]).status_code] == [401, 401]
    assert me(api, bob["access"]).status_code == 200
    assert me(api, obtain(api).json()["access"]).status_code == 200


def test_a_password_change_ends_every_token_of_the_account(api, user):
    """A new password, however it is set, refuses the tokens issued under the old one."""
    tokens = obtain(api).json()
    user.set_password("a-new-password-for-the-api")
    user.save()

    assert [me(api, tokens["access"]).status_code, refresh(api, tokens["refresh"]).status_code] == [401, 401]
    assert me(api, obtain(api, password="a-new-password-for-the-api").json()["access"]).status_code == 200


def test_logout_with_someone_elses_refresh_token_changes_nothing(api, user, django_user_model):
    """Your access token cannot log someone else out; both accounts keep their tokens."""
    django_user_model.objects.create_user("bob", password=PASSWORD)
    ann, bob = obtain(api).json(), obtain(api, "bob").json()

    response = logout(api, ann["access"], bob["refresh"])

    assert response.status_code == 401
    assert me(api, ann["access"]).status_code == 200
    assert refresh(api, bob["refresh"]).status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Bearer a b", "Token abc"])
def test_missing_or_garbage_authorization_gets_401_with_a_message(api, user, header):
    """No token, or a malformed or made-up one, gets a 401 with a JSON message, never a 500."""
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = api.get(reverse("api:me"), **extra)

    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_refresh_token_is_not_an_access_token_and_vice_versa(api, user):
    """Each kind of token only works where it belongs."""
    tokens = obtain(api).json()

    assert me(api, tokens["refresh"]).status_code == 401
    assert refresh(api, tokens["access"]).status_code == 401


def test_a_deactivated_user_is_refused_with_401(api, user):
    """Deactivating an account stops its tokens: the access token and the refresh both get 401."""
    tokens = obtain(api).json()
    user.is_active = False
    user.save()

    assert me(api, tokens["access"]).status_code == 401
    assert refresh(api, tokens["refresh"]).status_code == 401


def test_a_deactivated_users_tokens_stay_refused_when_the_account_is_activated_again(api, user):
    """Deactivation ends the tokens for good: activating the account again does not revive them."""
    tokens = obtain(api).json()
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()

    assert [me(api, tokens["access"]).status_code, refresh(api, tokens["refresh"]).status_code] == [401, 401]


def test_a_deleted_users_refresh_token_gets_401_not_500(api, user):
    """Deleting an account makes its refresh token worthless, with a 401 rather than a server error."""
    tokens = obtain(api).json()
    user.delete()

    response = refresh(api, tokens["refresh"])

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("name", ["api:token", "api:token-refresh"])
def test_bad_json_or_missing_fields_get_400_with_messages(api, name):
    """A body that is not JSON, or lacks a field, gets a 400 that says what is wrong."""
    broken = api.post(reverse(name), "{not json", content_type="application/json")
    empty = api.post(reverse(name), {}, format="json")

    assert broken.status_code == 400 and broken.json()["detail"]
    assert empty.status_code == 400 and all(empty.json().values())


@pytest.fixture
def teapot():
    return Product.objects.create(name="Teapot", slug="teapot", price="12.50", stock=3)


def test_products_are_listed_and_read_without_a_token(api, teapot):
    """The catalogue is public; an unknown product is a 404."""
    listed = api.get(reverse("api:products"))
    one = api.get(reverse("api:product", args=[teapot.pk]))
    unknown = api.get(reverse("api:product", args=[teapot.pk + 1000]))

    assert [p["name"] for p in listed.json()] == ["Teapot"]
    assert one.json()["price"] == "12.50"
    assert unknown.status_code == 404


def test_a_client_that_keeps_cookies_fills_its_cart_and_checks_it_out(api, user, teapot):
    """Cart and checkout: the cart is the session's, so it lasts as long as the client keeps its cookie."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {obtain(api).json()['access']}"}

    added = api.post(reverse("api:cart"), {"product": teapot.pk, "quantity": 2}, format="json", **auth)
    placed = api.post(reverse("api:orders"), format="json", **auth)
    orders = api.get(reverse("api:orders"), **auth)

    assert added.json()["total"] == "25.00"
    assert placed.status_code == 201
    assert [o["total"] for o in orders.json()] == ["25.00"]
    assert api.get(reverse("api:cart"), **auth).json()["lines"] == []
    teapot.refresh_from_db()
    assert teapot.stock == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"product": 0, "quantity": 1}, "product"), ({"quantity": 1}, "product"), ({"quantity": "lots"}, "quantity")],
)
def test_bad_cart_input_gets_400_and_leaves_the_cart_alone(api, user, teapot, body, field):
    """An unknown product or a quantity that is not a whole number gets a 400 naming the field."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {obtain(api).json()['access']}"}
    body = {"product": teapot.pk, **body} if field == "quantity" else body

    response = api.post(reverse("api:cart"), body, format="json", **auth)

    assert response.status_code == 400
    assert response.json()[field]
    assert api.get(reverse("api:cart"), **auth).json()["lines"] == []


def test_more_than_the_stock_or_an_empty_cart_gets_400_and_no_order(api, user, teapot):
    """Asking for more than there is, or checking out nothing, is refused and saves nothing."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {obtain(api).json()['access']}"}

    too_many = api.post(reverse("api:cart"), {"product": teapot.pk, "quantity": 4}, format="json", **auth)
    empty = api.post(reverse("api:orders"), format="json", **auth)

    assert too_many.status_code == 400 and "Only 3" in too_many.json()["quantity"][0]
    assert empty.status_code == 400 and empty.json()["detail"]
    assert api.get(reverse("api:orders"), **auth).json() == []


def test_a_checkout_sent_again_with_its_idempotency_key_answers_with_the_same_order(api, user, teapot):
    """A client whose answer was lost resends the same key: the order it placed, not a second one; a new
    cart sent with that old key is left as it is."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {obtain(api).json()['access']}"}
    key = {"HTTP_IDEMPOTENCY_KEY": "checkout-7f3a"}
    api.post(reverse("api:cart"), {"product": teapot.pk, "quantity": 1}, format="json", **auth)

    first = api.post(reverse("api:orders"), format="json", **auth, **key)
    api.post(reverse("api:cart"), {"product": teapot.pk, "quantity": 2}, format="json", **auth)
    again = api.post(reverse("api:orders"), format="json", **auth, **key)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert len(api.get(reverse("api:orders"), **auth).json()) == 1
    assert [line["quantity"] for line in api.get(reverse("api:cart"), **auth).json()["lines"]] == [2]


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_an_idempotency_key_that_is_empty_or_too_long_gets_400(api, user, teapot, key):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {obtain(api).json()['access']}"}
    api.post(reverse("api:cart"), {"product": teapot.pk, "quantity": 1}, format="json", **auth)

    response = api.post(reverse("api:orders"), format="json", HTTP_IDEMPOTENCY_KEY=key, **auth)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert api.get(reverse("api:orders"), **auth).json() == []
