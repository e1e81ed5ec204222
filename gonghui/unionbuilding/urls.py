from django.urls import path

from gonghui.unionbuilding import views

console_urlpatterns = [
    path("foundings/", views.founding_list, name="founding_list"),
    path("foundings/new/", views.founding_create, name="founding_create"),
    path("foundings/<int:founding_id>/", views.founding_detail, name="founding_detail"),
    path("orgs/<int:org_id>/building/", views.union_building, name="union_building"),
    path("orgs/<int:org_id>/figures/", views.org_figures, name="org_figures"),
    path(
        "orgs/<int:org_id>/mechanisms/<int:type_id>/",
        views.mechanism_edit,
        name="mechanism_edit",
    ),
    path(
        "orgs/<int:org_id>/mechanisms/<int:type_id>/evidence/",
        views.mechanism_evidence,
        name="mechanism_evidence",
    ),
    path("orgs/<int:org_id>/homes/new/", views.home_create, name="home_create"),
    path("homes/", views.home_list, name="home_list"),
    path("homes/<int:assessment_id>/", views.home_detail, name="home_detail"),
    path("brands/", views.brand_list, name="brand_list"),
    path("brands/new/", views.brand_create, name="brand_create"),
    path("brands/<int:brand_id>/", views.brand_detail, name="brand_detail"),
    path("coverage/", views.coverage, name="coverage"),
]
