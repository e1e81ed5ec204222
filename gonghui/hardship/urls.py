from django.urls import path

from gonghui.hardship import portal_views, views

console_urlpatterns = [
    path("hardship/", views.household_list, name="household_list"),
    path("hardship/new/", views.household_create, name="household_create"),
    path("hardship/lines/", views.income_line_list, name="income_line_list"),
    path("hardship/lines/new/", views.income_line_create, name="income_line_create"),
    path("hardship/<int:household_id>/", views.household_detail, name="household_detail"),
    path("hardship/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path(
        "hardship/<int:household_id>/members/new/", views.member_create, name="hardship_member_new"
    ),
    path(
        "hardship/<int:household_id>/members/<int:member_id>/",
        views.member_edit,
        name="hardship_member_edit",
    ),
    path(
        "hardship/<int:household_id>/members/<int:member_id>/remove/",
        views.member_remove,
        name="hardship_member_remove",
    ),
    path(
        "hardship/<int:household_id>/members/<int:member_id>/reveal/<str:field>/",
        views.member_reveal,
        name="hardship_member_reveal",
    ),
    path(
        "hardship/<int:household_id>/reveal/<str:sealed>/",
        views.household_reveal,
        name="household_reveal",
    ),
    path("hardship/<int:household_id>/visits/new/", views.visit_create, name="visit_create"),
    path(
        "hardship/<int:household_id>/photos/<int:photo_id>/",
        views.visit_photo,
        name="visit_photo",
    ),
    path("hardship/<int:household_id>/submit/", views.household_submit, name="household_submit"),
    path("hardship/<int:household_id>/review/", views.household_review, name="household_review"),
    path("hardship/<int:household_id>/leave/", views.household_leave, name="household_leave"),
    path("hardship/<int:household_id>/reenter/", views.household_reenter, name="household_reenter"),
]

portal_urlpatterns = [
    path("hardship/", portal_views.my_file, name="hardship_mine"),
]
