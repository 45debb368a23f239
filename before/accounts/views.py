from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.forms import SignupForm


class LoginView(auth_views.LoginView):
    # Attempts are counted, and refused with a 429, by accounts.limits on every door that checks a password.
    template_name = "accounts/login.html"


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("accounts:me")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def me(request):
    return render(request, "accounts/me.html")
