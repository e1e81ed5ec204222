"""URLs of culture: sessions and bookings, the catalogue, the booking rule, the calendar and
the menu service. ``gonghui/urls.py`` mounts the console list under ``/console/``, the
portal list under ``/m/`` and the enterprise area's under ``/enterprise/``."""

from django.urls import path

from gonghui.culture.views import calendar, catalogue, console, enterprise, menu, portal

console_urlpatterns = [
    path("culture/", console.session_list, name="culture_sessions"),
    path("culture/sessions/new/", console.session_new, name="culture_session_new"),
    path("culture/sessions/<int:session_id>/", console.session_detail, name="culture_session"),
    path(
        "culture/sessions/<int:session_id>/do/<str:op>/",
        console.session_act,
        name="culture_session_act",
    ),
    path(
        "culture/sessions/<int:session_id>/checkin/",
        console.session_checkin,
        name="culture_checkin",
    ),
    # The catalogue, the booking rule and the calendar.
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
    # The menu service.
    path("culture/menu/", menu.menu_list, name="menu_list"),
    path("culture/menu/<int:menu_id>/", menu.menu_detail, name="menu_detail"),
    path(
        "culture/menu/<int:menu_id>/items/<int:item_id>/",
        menu.menu_item_edit,
        name="menu_item_edit",
    ),
    path("culture/menu/<int:menu_id>/publish/", menu.menu_publish, name="menu_publish"),
    path("culture/menu/order/", menu.menu_order_new, name="menu_order_new"),
    path("culture/menu/orders/", menu.menu_order_list, name="menu_order_list"),
    path("culture/menu/orders/<int:order_id>/", menu.menu_order_detail, name="menu_order_detail"),
    path(
        "culture/menu/orders/<int:order_id>/do/<str:order_action>/",
        menu.menu_order_act,
        name="menu_order_act",
    ),
]

portal_urlpatterns = [
    path("culture/", portal.session_list, name="culture_sessions"),
    path("culture/bookings/", portal.my_bookings, name="culture_bookings"),
    path("culture/draw.py", portal.draw_script, name="culture_draw_script"),
    path("culture/sessions/<int:session_id>/", portal.session_detail, name="culture_session"),
    path("culture/sessions/<int:session_id>/book/", portal.book, name="culture_book"),
    path("culture/sessions/<int:session_id>/draw.json", portal.draw_json, name="culture_draw_json"),
    path(
        "culture/bookings/<int:booking_id>/do/<str:op>/",
        portal.booking_act,
        name="culture_booking_act",
    ),
    path(
        "culture/bookings/<int:booking_id>/rate/", portal.booking_rate, name="culture_booking_rate"
    ),
    path("culture/bookings/<int:booking_id>/qr.svg", portal.booking_qr, name="culture_booking_qr"),
    path("culture/calendar/", calendar.portal_month, name="culture_calendar"),
    # No sign-in: calendar apps fetch it; the token is the key (see views.calendar.ical).
    path("culture/calendar/<str:token>.ics", calendar.ical, name="culture_ical"),
    path("culture/calendar/renew/", calendar.feed_renew, name="culture_feed_renew"),
]

enterprise_urlpatterns = [
    path("menu/", enterprise.order_new, name="menu_order_new"),
    path("menu/orders/", enterprise.order_list, name="menu_orders"),
    path("menu/orders/<int:order_id>/", enterprise.order_detail, name="menu_order"),
]
