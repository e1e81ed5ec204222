from django.urls import path

from gonghui.casework import portal_views, views

console_urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_open, name="case_open"),
    path("cases/assign/", views.case_bulk_assign, name="case_bulk_assign"),
    path("cases/figures/", views.case_figures, name="case_figures"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/do/<str:action>/", views.case_act, name="case_act"),
    path("cases/<int:case_id>/materials/", views.case_material_upload, name="case_material_upload"),
    path(
        "cases/<int:case_id>/materials/<int:material_id>/",
        views.case_material,
        name="case_material",
    ),
    path(
        "cases/<int:case_id>/agreement.pdf", views.mediation_agreement, name="mediation_agreement"
    ),
    path("lawyers/", views.lawyer_list, name="lawyer_list"),
    path("lawyers/<int:lawyer_id>/", views.lawyer_edit, name="lawyer_edit"),
    path("counselling/", views.counselling, name="counselling"),
    path("counselling/slots/<int:slot_id>/", views.counselling_slot, name="counselling_slot"),
]

portal_urlpatterns = [
    path("stations/", portal_views.stations, name="stations"),
    path("cases/new/", portal_views.case_new, name="case_new"),
    path("cases/<int:case_id>/", portal_views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/withdraw/", portal_views.case_withdraw, name="case_withdraw"),
    path("cases/<int:case_id>/confirm/", portal_views.case_confirm, name="case_confirm"),
    path(
        "cases/<int:case_id>/materials/",
        portal_views.case_material_upload,
        name="case_material_upload",
    ),
    path(
        "cases/<int:case_id>/materials/<int:material_id>/",
        portal_views.case_material,
        name="case_material",
    ),
    path("counselling/", portal_views.counselling, name="counselling"),
    path("counselling/<int:slot_id>/book/", portal_views.slot_book, name="slot_book"),
    path("counselling/<int:slot_id>/cancel/", portal_views.slot_cancel, name="slot_cancel"),
]
