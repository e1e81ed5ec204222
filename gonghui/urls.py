"""URL map: ``/console/`` for staff, ``/m/`` for workers (phone first), ``/enterprise/`` for
enterprise contacts, ``/api/`` for staff and workers."""

from django.urls import include, path

from gonghui.accounts import urls as account_urls
from gonghui.api import api
from gonghui.casework import urls as casework_urls
from gonghui.core import urls as core_urls
from gonghui.core import views as core_views
from gonghui.culture import urls as culture_urls
from gonghui.members import urls as member_urls
from gonghui.organizations import urls as org_urls
from gonghui.unionbuilding import urls as building_urls

console_urlpatterns = [
    *core_urls.console_urlpatterns,
    *org_urls.console_urlpatterns,
    *member_urls.console_urlpatterns,
    *building_urls.console_urlpatterns,
    *casework_urls.console_urlpatterns,
    *culture_urls.console_urlpatterns,
    *account_urls.console_urlpatterns,
]

portal_urlpatterns = [
    *member_urls.portal_urlpatterns,
    *casework_urls.portal_urlpatterns,
    *culture_urls.portal_urlpatterns,
    *account_urls.portal_urlpatterns,
    *core_urls.portal_urlpatterns,
]

enterprise_urlpatterns = [
    *org_urls.enterprise_urlpatterns,
    *culture_urls.enterprise_urlpatterns,
    *account_urls.enterprise_urlpatterns,
]

urlpatterns = [
    path("", core_views.front_door, name="front_door"),
    path("accounts/", include(account_urls)),
    path("console/", include((console_urlpatterns, "console"))),
    path("m/", include((portal_urlpatterns, "portal"))),
    path("enterprise/", include((enterprise_urlpatterns, "enterprise"))),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
