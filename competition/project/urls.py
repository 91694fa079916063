"""Top-level URLs: the JSON API, the Django admin and the web pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("competition.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("competition.web.urls")),
]
