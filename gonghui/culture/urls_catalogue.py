"""URLs of the catalogue, the booking rule and the calendar. ``gonghui/urls.py`` mounts the
console list under ``/console/`` and the portal list under ``/m/``."""

from django.urls import path

from gonghui.culture.views import calendar, catalogue

console_urlpatterns = [
    path("culture/courses/", catalogue.course_list, name="culture_courses"),
    path("culture/courses/<int:course_id>/", catalogue.course_edit, name="culture_course"),
    path("culture/mentors/", catalogue.mentor_list, name="culture_mentors"),
    path("culture/mentors/<int:mentor_id>/", catalogue.mentor_edit, name="culture_mentor"),
    path("culture/venues/", catalogue.venue_list, name="culture_venues"),
    path("culture/venues/<int:venue_id>/", catalogue.venue_edit, name="culture_venue"),
    path("culture/events/", catalogue.event_list, name="culture_events"),
    path("culture/events/<int:event_id>/", catalogue.event_edit, name="culture_event"),
    path("culture/rules/", catalogue.rules, name="culture_rules"),
    path("culture/calendar/", calendar.console_month, name="culture_calendar"),
]

portal_urlpatterns = [
    path("culture/calendar/", calendar.portal_month, name="culture_calendar"),
    # No sign-in: calendar apps fetch it; the token is the key (see views.calendar.ical).
    path("culture/calendar/<str:token>.ics", calendar.ical, name="culture_ical"),
    path("culture/calendar/renew/", calendar.feed_renew, name="culture_feed_renew"),
]
