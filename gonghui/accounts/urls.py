from django.contrib.auth import views as auth_views
from django.urls import path

from gonghui.accounts import enterprise_views, portal_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="accounts:login"), name="logout"),
]

console_urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/", views.staff_edit, name="staff_edit"),
    path(
        "enterprises/<int:enterprise_id>/contacts/",
        views.enterprise_contacts,
        name="enterprise_contacts",
    ),
    path(
        "enterprises/<int:enterprise_id>/contacts/<int:contact_id>/deactivate/",
        views.enterprise_contact_deactivate,
        name="enterprise_contact_deactivate",
    ),
]

portal_urlpatterns = [
    path("login/", portal_views.login_view, name="login"),
    path("login/code/", portal_views.send_code, name="send_code"),
    path("logout/", portal_views.logout_view, name="logout"),
    path("register/", portal_views.register, name="register"),
    path("me/", portal_views.profile, name="profile"),
    path("privacy/", portal_views.privacy, name="privacy"),
    path("privacy/withdraw/", portal_views.privacy_withdraw, name="privacy_withdraw"),
]

enterprise_urlpatterns = [
    path("login/", enterprise_views.login_view, name="login"),
    # The same code as the portal's: a code proves the number, whichever entry asks for it.
    path("login/code/", portal_views.send_code, name="send_code"),
    path("logout/", enterprise_views.logout_view, name="logout"),
    path("me/", enterprise_views.profile, name="profile"),
]
