from django.urls import path

from gonghui.members import portal_views, views

console_urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/lookup/", views.member_lookup, name="member_lookup"),
    path("members/<int:membership_id>/", views.member_detail, name="member_detail"),
    path("members/<int:membership_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:membership_id>/leave/", views.member_leave, name="member_leave"),
    path("members/<int:membership_id>/transfer/", views.member_transfer, name="member_transfer"),
    path(
        "members/<int:membership_id>/reveal/<str:field>/",
        views.member_reveal,
        name="member_reveal",
    ),
    path("joins/", views.join_list, name="join_list"),
    path("joins/<int:join_id>/", views.join_detail, name="join_detail"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer_detail"),
]

portal_urlpatterns = [
    path("", portal_views.home, name="home"),
    path("card/", portal_views.member_card, name="card"),
    path("card/verify/<str:token>/", portal_views.card_verify, name="card_verify"),
    path("join/", portal_views.join, name="join"),
    path("join/<int:join_id>/", portal_views.join_detail, name="join_detail"),
    path("join/<int:join_id>/withdraw/", portal_views.join_withdraw, name="join_withdraw"),
    path("unions/", portal_views.union_search, name="union_search"),
    path("transfer/", portal_views.transfer, name="transfer"),
    path("transfer/<int:transfer_id>/", portal_views.transfer_detail, name="transfer_detail"),
    path(
        "transfer/<int:transfer_id>/cancel/", portal_views.transfer_cancel, name="transfer_cancel"
    ),
]
