"""URL map: ``/console/`` for staff, ``/m/`` for workers (phone first), ``/enterprise/`` for
enterprise contacts, ``/api/`` for staff and workers.

The console's, the portal's and the enterprise area's pages come from the modules
(``core.modules``): each installed app's ``module.py`` names its URL module."""

from django.urls import include, path

from gonghui.accounts import urls as account_urls
from gonghui.api import api
from gonghui.core import modules
from gonghui.core import views as core_views

urlpatterns = [
    path("", core_views.front_door, name="front_door"),
    path("favicon.ico", core_views.favicon),
    path("accounts/", include(account_urls)),
    path("console/", include((modules.urlpatterns("console"), "console"))),
    path("m/", include((modules.urlpatterns("portal"), "portal"))),
    path("enterprise/", include((modules.urlpatterns("enterprise"), "enterprise"))),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# An uncaught exception anywhere (a middleware too) with a backing service down answers 503.
handler500 = "gonghui.core.middleware.server_error"
