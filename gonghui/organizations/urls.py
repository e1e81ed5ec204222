from django.urls import path

from gonghui.organizations import enterprise_views, views

console_urlpatterns = [
    path("orgs/", views.org_tree, name="org_tree"),
    path("orgs/pick/", views.org_pick, name="org_pick"),
    path("orgs/<int:org_id>/", views.org_detail, name="org_detail"),
    path("orgs/<int:org_id>/children/", views.org_children, name="org_children"),
    path("orgs/<int:org_id>/new/", views.org_create, name="org_create"),
    path("orgs/<int:org_id>/edit/", views.org_edit, name="org_edit"),
    path("orgs/<int:org_id>/move/", views.org_move, name="org_move"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:enterprise_id>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:enterprise_id>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("places/", views.place_list, name="place_list"),
    path("service-types/", views.service_types, name="service_types"),
    path("places/new/", views.place_create, name="place_create"),
    path("places/<int:place_id>/", views.place_detail, name="place_detail"),
    path("places/<int:place_id>/edit/", views.place_edit, name="place_edit"),
]

enterprise_urlpatterns = [
    path("", enterprise_views.home, name="home"),
]
