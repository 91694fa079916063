"""Sign up, sign in and sign out, rate-limited per client address and per account (:mod:`competition.throttle`)."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from competition.forms import SignInForm, SignUpForm
from competition.throttle import request_keys, sign_in_throttle, sign_up_throttle, too_many
from competition.usernames import UNAVAILABLE

from .methods import form_page


def _throttled(response: HttpResponse, wait_s: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait_s)
    return response


class SignInView(LoginView):
    """Django's login view with Bootstrap-styled fields; failed attempts are counted and limited."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        """Refuse at once (429, before checking any password) while the address or the account is over its limit."""
        wait_s = sign_in_throttle().wait_s(*request_keys(request, request.POST.get("username", "")))
        if wait_s:
            context = self.get_context_data(form=self.authentication_form(request), throttled=too_many(wait_s))
            return _throttled(self.render_to_response(context), wait_s)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        """Sign in and forget the account's failures."""
        sign_in_throttle().clear(request_keys(self.request, form.get_user().get_username())[1])
        return super().form_valid(form)

    def form_invalid(self, form):
        """Count the failure for the address and the account."""
        sign_in_throttle().hit(*request_keys(self.request, self.request.POST.get("username", "")))
        return super().form_invalid(form)


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


def _create_account(request, form: SignUpForm):
    """The new user, or ``None`` (and :data:`UNAVAILABLE` on the form) when a concurrent sign-up took the name."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        form.add_error("username", UNAVAILABLE)
        return None


@form_page
def signup(request):
    """Create an account, sign it in and go back where the user came from (attempts are limited)."""
    if request.user.is_authenticated:
        return redirect("home")
    context = {"next": _safe_next(request) or ""}
    if request.method == "POST":
        keys = request_keys(request, request.POST.get("username", ""))
        wait_s = sign_up_throttle().wait_s(*keys)
        if wait_s:
            context.update(form=SignUpForm(), throttled=too_many(wait_s))
            return _throttled(render(request, "registration/signup.html", context), wait_s)
        sign_up_throttle().hit(*keys)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _create_account(request, form)
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_safe_next(request) or "home")
    return render(request, "registration/signup.html", {**context, "form": form})
