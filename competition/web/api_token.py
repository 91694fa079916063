"""The signed-in user's API token (for the ``evalbox`` CLI and ``docker login`` to the platform
registry): when it was made, and a button that makes a new one, shown once."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from competition.models import ApiToken

#: The session key holding a new token between the POST that made it and the page that shows it.
NEW_KEY = "evalbox_new_api_token"


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_token(request) -> HttpResponse:
    """GET: whether the user has a token (and a new one, once); POST: replace it, then show it.

    The POST redirects (so that a reload never makes another token); the new key waits in the
    session and is removed from it by the first page that shows it.
    """
    if request.method == "POST":
        request.session[NEW_KEY] = ApiToken.issue(request.user)
        return redirect("api_token")
    new_key = request.session.pop(NEW_KEY, None)
    current = ApiToken.objects.filter(user=request.user).first()
    return render(request, "registration/api_token.html", {"new_key": new_key, "current": current})
