"""URL map: ``/console/`` for staff, ``/m/`` for workers (phone first), ``/api/`` for both.

The console's and the portal's pages come from the modules (``core.modules``): each installed
app's ``module.py`` names its URL module."""

from django.urls import include, path

from gonghui.accounts import urls as account_urls
from gonghui.api import api
from gonghui.core import modules
from gonghui.core import views as core_views

urlpatterns = [
    path("", core_views.front_door, name="front_door"),
    path("accounts/", include(account_urls)),
    path("console/", include((modules.console_urlpatterns(), "console"))),
    path("m/", include((modules.portal_urlpatterns(), "portal"))),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
