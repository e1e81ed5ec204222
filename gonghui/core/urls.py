from django.urls import path

from gonghui.core import views, views_calendar, views_imports

console_urlpatterns = [
    path("", views.console_home, name="home"),
    path("home/activity/", views.home_activity, name="home_activity"),
    path("access-log/", views.access_log, name="access_log"),
    path("calendar/", views_calendar.workcalendar, name="workcalendar"),
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/template/<str:kind>/", views_imports.import_template, name="import_template"),
    path("imports/<int:job_id>/", views_imports.import_detail, name="import_detail"),
    path("imports/<int:job_id>/start/", views_imports.import_start, name="import_start"),
    path("imports/<int:job_id>/retry/", views_imports.import_retry, name="import_retry"),
    path("imports/<int:job_id>/cancel/", views_imports.import_cancel, name="import_cancel"),
    path("imports/<int:job_id>/progress/", views_imports.import_progress, name="import_progress"),
]

portal_urlpatterns = [
    path("inbox/", views.portal_inbox, name="inbox"),
    path("messages/", views.portal_messages, name="messages"),
    path("messages/read/", views.portal_messages_read, name="messages_read"),
    path("messages/settings/", views.portal_message_settings, name="message_settings"),
]
