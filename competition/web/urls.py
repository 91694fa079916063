"""The HTML pages (names are global: settings use ``login`` and ``home``)."""

from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from . import (
    accounts,
    api_token,
    competitions,
    invitations,
    organizer,
    participants,
    phase_data,
    phases,
    results,
    setup_checklist,
    submission_page,
    teams,
)

_SLUG = r"^competitions/(?P<slug>[-a-zA-Z0-9_]+)/"
_SUBMISSION = _SLUG + r"submissions/(?P<submission_id>[0-9]{1,18})/"

urlpatterns = [
    path("", competitions.home, name="home"),
    # Browsers that ignore the pages' <link rel="icon"> ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/invitations/", invitations.pending, name="invitations"),
    path("accounts/token/", api_token.api_token, name="api_token"),
    re_path(
        r"^accounts/invitations/(?P<invitation_id>[0-9]{1,18})/(?P<action>accept|decline)/$",
        invitations.answer,
        name="invitation_answer",
    ),
    re_path(
        r"^accounts/invitations/team/(?P<invitation_id>[0-9]{1,18})/(?P<action>accept|decline)/$",
        teams.answer,
        name="team_invitation_answer",
    ),
    path("competitions/new/", competitions.create, name="competition_create"),
    path("competitions/<slug:slug>/", competitions.overview, name="competition_overview"),
    path("competitions/<slug:slug>/participate/", competitions.participate, name="competition_participate"),
    path("competitions/<slug:slug>/leaderboard/", competitions.leaderboard, name="competition_leaderboard"),
    path("competitions/<slug:slug>/leaderboard.csv", competitions.leaderboard_csv, name="competition_leaderboard_csv"),
    path("competitions/<slug:slug>/submissions/", organizer.submissions, name="competition_submissions"),
    path("competitions/<slug:slug>/submissions/broker/", organizer.broker, name="competition_submissions_broker"),
    re_path(_SUBMISSION + "$", submission_page.page, name="submission_page"),
    re_path(_SUBMISSION + r"live/$", submission_page.live, name="submission_live"),
    re_path(
        r"^competitions/(?P<slug>[-a-zA-Z0-9_]+)/submissions/(?P<submission_id>[0-9]{1,18})/cancel/$",
        organizer.cancel_submission,
        name="organizer_submission_cancel",
    ),
    re_path(
        r"^competitions/(?P<slug>[-a-zA-Z0-9_]+)/submissions/(?P<submission_id>[0-9]{1,18})/rerun/$",
        organizer.rerun_submission,
        name="organizer_submission_rerun",
    ),
    re_path(_SUBMISSION + r"results/$", results.page, name="submission_results"),
    re_path(_SUBMISSION + r"results/document$", results.document, name="submission_results_document"),
    re_path(_SLUG + r"phases/(?P<phase_id>[0-9]{1,18})/publish/$", organizer.publish_phase, name="phase_publish"),
    path("competitions/<slug:slug>/team/form/", teams.form_team, name="team_form"),
    path("competitions/<slug:slug>/team/invite/", teams.invite, name="team_invite"),
    path("competitions/<slug:slug>/team/leave/", teams.leave, name="team_leave"),
    path("competitions/<slug:slug>/edit/", competitions.edit, name="competition_edit"),
    path("competitions/<slug:slug>/publish/", setup_checklist.publish, name="competition_publish"),
    path("competitions/<slug:slug>/register/", participants.register, name="competition_register"),
    path("competitions/<slug:slug>/participants/", participants.manage, name="competition_participants"),
    re_path(
        r"^competitions/(?P<slug>[-a-zA-Z0-9_]+)/participants/(?P<participant_id>[0-9]{1,18})/(?P<action>approve|deny)/$",
        participants.decide,
        name="participant_decide",
    ),
    path("competitions/<slug:slug>/phases/new/", phases.create, name="phase_create"),
    re_path(
        r"^competitions/(?P<slug>[-a-zA-Z0-9_]+)/phases/(?P<phase_id>[0-9]{1,18})/edit/$",
        phases.edit,
        name="phase_edit",
    ),
    re_path(_SLUG + r"phases/(?P<phase_id>[0-9]{1,18})/data/(?P<kind>input|reference)/$", phase_data.download,
            name="phase_data"),
]
