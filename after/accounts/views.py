from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django_ratelimit.core import get_usage

# Failed logins allowed per username per minute; the attempt after the last one is refused, right password or not.
LOGIN_FAILURES_ALLOWED = "5/m"


def login_count(request, *, group: str, increment: bool) -> dict | None:
    """django-ratelimit's count for the username in the form, in this minute (None when limits are off)."""
    return get_usage(request, group=group, key="post:username", rate=LOGIN_FAILURES_ALLOWED, increment=increment)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"

    def post(self, request, *args, **kwargs):
        # Each attempt is counted before its password is checked, in one atomic step: of attempts that
        # arrive together, on any replica, only the allowance gets that far. Successes are taken off again.
        attempts = login_count(request, group="accounts.login", increment=True)
        if attempts:
            successes = login_count(request, group="accounts.login-ok", increment=False)
            if attempts["count"] - successes["count"] > attempts["limit"]:
                retry_after = max(attempts["time_left"], 1)
                context = {"retry_after": retry_after}
                response = render(request, "accounts/too_many_attempts.html", context, status=429)
                response["Retry-After"] = str(retry_after)
                return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_count(self.request, group="accounts.login-ok", increment=True)
        return super().form_valid(form)


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("accounts:me")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def me(request):
    return render(request, "accounts/me.html")
