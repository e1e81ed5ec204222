from django.urls import path

from gonghui.employment import portal_views, views

console_urlpatterns = [
    path("training/", views.training_list, name="training_list"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:training_id>/", views.training_detail, name="training_detail"),
    path(
        "training/<int:training_id>/sessions/new/",
        views.training_session_new,
        name="training_session_new",
    ),
    path(
        "training/<int:training_id>/sessions/<int:training_session_id>/",
        views.training_attendance,
        name="training_attendance",
    ),
    path("training/<int:training_id>/enrol/", views.training_enrol, name="training_enrol"),
    path("training/<int:training_id>/close/", views.training_close, name="training_close"),
    path("training/<int:training_id>/cancel/", views.training_cancel, name="training_cancel"),
    path(
        "training/enrolments/<int:enrolment_id>/",
        views.training_completion,
        name="training_completion",
    ),
    path(
        "training/enrolments/<int:enrolment_id>/withdraw/",
        views.training_withdraw,
        name="training_withdraw",
    ),
    path("fairs/", views.fair_list, name="fair_list"),
    path("fairs/new/", views.fair_create, name="fair_create"),
    path("fairs/<int:fair_id>/", views.fair_detail, name="fair_detail"),
    path("fairs/<int:fair_id>/employers/new/", views.fair_employer_new, name="fair_employer_new"),
    path("fairs/<int:fair_id>/posts/new/", views.fair_post_new, name="fair_post_new"),
    path("fairs/<int:fair_id>/visitors/new/", views.fair_visitor_new, name="fair_visitor_new"),
    path("fairs/<int:fair_id>/served/", views.fair_served, name="fair_served"),
    path("placements/", views.placement_list, name="placement_list"),
    path("placements/new/", views.placement_create, name="placement_create"),
    path("placements/<int:placement_id>/", views.placement_detail, name="placement_detail"),
]

portal_urlpatterns = [
    path("training/", portal_views.training_home, name="training_home"),
    path("training/<int:training_id>/enrol/", portal_views.training_enrol, name="training_enrol"),
    path(
        "training/enrolments/<int:enrolment_id>/withdraw/",
        portal_views.training_withdraw,
        name="training_withdraw",
    ),
]
