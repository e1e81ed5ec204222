from django.urls import path

from gonghui.assistance import portal_views, views

console_urlpatterns = [
    path("assistance/programmes/", views.programme_list, name="assistance_programmes"),
    path(
        "assistance/programmes/<int:programme_id>/",
        views.programme_detail,
        name="assistance_programme",
    ),
    path(
        "assistance/programmes/<int:programme_id>/rounds/new/",
        views.round_create,
        name="assistance_round_create",
    ),
    path("assistance/rounds/<int:round_id>/", views.round_detail, name="assistance_round"),
    path("assistance/rounds/<int:round_id>/edit/", views.round_edit, name="assistance_round_edit"),
    path(
        "assistance/rounds/<int:round_id>/apply/",
        views.application_create,
        name="assistance_application_create",
    ),
    path(
        "assistance/rounds/<int:round_id>/proposals/",
        views.proposals,
        name="assistance_proposals",
    ),
    path("assistance/applications/", views.queue, name="assistance_queue"),
    path("assistance/figures/", views.figures, name="assistance_figures"),
    path(
        "assistance/applications/bulk-approve/",
        views.bulk_approve,
        name="assistance_bulk_approve",
    ),
    path(
        "assistance/applications/<int:application_id>/",
        views.application_detail,
        name="assistance_application",
    ),
    path(
        "assistance/applications/<int:application_id>/snapshot/",
        views.snapshot_reveal,
        name="assistance_snapshot",
    ),
    path(
        "assistance/applications/<int:application_id>/documents/<int:document_id>/",
        views.document_download,
        name="assistance_document",
    ),
]

portal_urlpatterns = [
    path("assistance/", portal_views.home, name="assistance_home"),
    path(
        "assistance/rounds/<int:round_id>/apply/",
        portal_views.apply,
        name="assistance_apply",
    ),
    path(
        "assistance/applications/<int:application_id>/",
        portal_views.application_detail,
        name="assistance_application",
    ),
    path(
        "assistance/applications/<int:application_id>/withdraw/",
        portal_views.withdraw,
        name="assistance_withdraw",
    ),
    path(
        "assistance/rounds/<int:round_id>/public/",
        portal_views.transparency,
        name="assistance_transparency",
    ),
]
