"""Console pages of the menu service, spread into the ``console`` namespace by
``gonghui/urls.py`` (paths start ``culture/menu/``, so they live under
``/console/culture/menu/``)."""

from django.urls import path

from gonghui.culture.views import menu as views

console_urlpatterns = [
    path("culture/menu/", views.menu_list, name="menu_list"),
    path("culture/menu/<int:menu_id>/", views.menu_detail, name="menu_detail"),
    path(
        "culture/menu/<int:menu_id>/items/<int:item_id>/",
        views.menu_item_edit,
        name="menu_item_edit",
    ),
    path("culture/menu/<int:menu_id>/publish/", views.menu_publish, name="menu_publish"),
    path("culture/menu/order/", views.menu_order_new, name="menu_order_new"),
    path("culture/menu/orders/", views.menu_order_list, name="menu_order_list"),
    path("culture/menu/orders/<int:order_id>/", views.menu_order_detail, name="menu_order_detail"),
    path(
        "culture/menu/orders/<int:order_id>/do/<str:order_action>/",
        views.menu_order_act,
        name="menu_order_act",
    ),
]
