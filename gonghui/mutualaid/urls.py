"""The module's console and portal routes. Shared by the three parts of mutual aid (periods
and rules, enrolment, claims): each adds its own lines."""

from django.urls import URLPattern, URLResolver, path

from gonghui.mutualaid.portal_views import claims as claim_portal
from gonghui.mutualaid.portal_views import enrolment as portal_enrolment_views
from gonghui.mutualaid.views import claims as claim_views
from gonghui.mutualaid.views import enrolment as enrolment_views
from gonghui.mutualaid.views import periods as period_views

console_urlpatterns: list[URLPattern | URLResolver] = [
    # periods and rules
    path("mutualaid/periods/", period_views.period_list, name="mutualaid_periods"),
    path("mutualaid/periods/new/", period_views.period_create, name="mutualaid_period_create"),
    path("mutualaid/periods/<int:period_id>/", period_views.period_detail, name="mutualaid_period"),
    path(
        "mutualaid/periods/<int:period_id>/edit/",
        period_views.period_edit,
        name="mutualaid_period_edit",
    ),
    path(
        "mutualaid/periods/<int:period_id>/rules/",
        period_views.period_rules,
        name="mutualaid_period_rules",
    ),
    path(
        "mutualaid/periods/<int:period_id>/copy/",
        period_views.period_copy,
        name="mutualaid_period_copy",
    ),
    path(
        "mutualaid/periods/<int:period_id>/publish/",
        period_views.period_publish,
        name="mutualaid_period_publish",
    ),
    path(
        "mutualaid/periods/<int:period_id>/close/",
        period_views.period_close,
        name="mutualaid_period_close",
    ),
    path("mutualaid/calculator/", period_views.calculator, name="mutualaid_calculator"),
    # enrolment
    path("mutualaid/enrolments/", enrolment_views.enrolment_list, name="mutualaid_enrolments"),
    path(
        "mutualaid/enrolments/<int:ma_enrolment_id>/refund/",
        enrolment_views.enrolment_refund,
        name="mutualaid_enrolment_refund",
    ),
    path("mutualaid/bills/", enrolment_views.bill_list, name="mutualaid_bills"),
    path("mutualaid/bills/<int:ma_bill_id>/", enrolment_views.bill_detail, name="mutualaid_bill"),
    # claims
    *claim_views.URLS,
]

portal_urlpatterns: list[URLPattern | URLResolver] = [
    # enrolment
    path(
        "mutualaid/enrolment/",
        portal_enrolment_views.my_enrolment,
        name="mutualaid_enrolment",
    ),
    # claims
    *claim_portal.URLS,
]
