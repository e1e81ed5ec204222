from django.urls import path

from gonghui.culture import urls_catalogue, urls_menu
from gonghui.culture.views import console, portal

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
    *urls_catalogue.console_urlpatterns,
    *urls_menu.console_urlpatterns,
]

portal_urlpatterns = [
    path("culture/", portal.session_list, name="culture_sessions"),
    path("culture/draw.py", portal.draw_script, name="culture_draw_script"),
    path("culture/sessions/<int:session_id>/", portal.session_detail, name="culture_session"),
    path("culture/sessions/<int:session_id>/book/", portal.book, name="culture_book"),
    path("culture/sessions/<int:session_id>/draw.json", portal.draw_json, name="culture_draw_json"),
    path(
        "culture/bookings/<int:booking_id>/do/<str:op>/",
        portal.booking_act,
        name="culture_booking_act",
    ),
    path("culture/bookings/<int:booking_id>/qr.svg", portal.booking_qr, name="culture_booking_qr"),
    *urls_catalogue.portal_urlpatterns,
]
