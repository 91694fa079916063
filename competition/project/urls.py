"""Top-level URLs: the health check, the JSON API, the Django admin and the web pages."""

from django.contrib import admin
from django.urls import include, path

from competition.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("api/", include("competition.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("competition.web.urls")),
]
