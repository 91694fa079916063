"""Sign up, sign in and sign out."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from competition.forms import SignInForm, SignUpForm

from .methods import form_page


class SignInView(LoginView):
    """Django's login view with Bootstrap-styled fields."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


@form_page
def signup(request):
    """Create an account, sign it in and go back where the user came from."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_safe_next(request) or "home")
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request) or ""})
