from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django_ratelimit.core import get_usage

# Failed logins allowed per username per minute; the attempt after the last one is refused, right password or not.
LOGIN_FAILURES_ALLOWED = "5/m"


def login_failures(request, *, increment: bool) -> dict | None:
    """django-ratelimit's count of failed logins for the username in the form (None when limits are off)."""
    return get_usage(
        request, group="accounts.login", key="post:username", rate=LOGIN_FAILURES_ALLOWED, increment=increment
    )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"

    def post(self, request, *args, **kwargs):
        usage = login_failures(request, increment=False)
        # django-ratelimit limits only above the rate; here the allowance is spent once it is reached.
        if usage and usage["count"] >= usage["limit"]:
            retry_after = max(usage["time_left"], 1)
            response = render(request, "accounts/too_many_attempts.html", {"retry_after": retry_after}, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_failures(self.request, increment=True)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    pass


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("accounts:me")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def me(request):
    return render(request, "accounts/me.html")
