from django.urls import path

from gonghui.virtualjobs import views

console_urlpatterns = [
    path("virtual-jobs/", views.post_list, name="vj_post_list"),
    path("virtual-jobs/new/", views.post_create, name="vj_post_create"),
    path("virtual-jobs/<int:post_id>/", views.post_detail, name="vj_post_detail"),
    path("virtual-jobs/<int:post_id>/adopt/", views.post_adopt, name="vj_post_adopt"),
    path("virtual-jobs/<int:post_id>/suspend/", views.post_suspend, name="vj_post_suspend"),
    path("virtual-jobs/<int:post_id>/resume/", views.post_resume, name="vj_post_resume"),
    path("virtual-jobs/<int:post_id>/end/", views.post_end, name="vj_post_end"),
    path("virtual-jobs/pay-runs/", views.run_list, name="vj_run_list"),
    path("virtual-jobs/pay-runs/new/", views.run_create, name="vj_run_create"),
    path("virtual-jobs/pay-runs/<int:run_id>/", views.run_detail, name="vj_run_detail"),
]

enterprise_urlpatterns = [
    path("virtual-jobs/", views.enterprise_adoptions, name="vj_adoptions"),
]
