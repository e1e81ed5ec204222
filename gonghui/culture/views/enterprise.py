"""The menu service in the enterprise area: an enterprise's contact orders from the menus the
union covering the enterprise may order from, and follows the enterprise's orders. Thin:
parse, call a selector or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, enterprise_required, paginate
from gonghui.culture import forms
from gonghui.culture.selectors import menu as selectors
from gonghui.culture.services import menu as services


def _item_id(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise NotFound
    return int(text)


@enterprise_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    """The menus the covering union may order from; ``?item=`` opens the form for one item."""
    actor: Any = request.user
    unit = selectors.menu_ordering_unit(actor=actor)
    item = None
    if request.method == "POST":
        form = forms.MenuOrderForm(request.POST)
        item_id = _item_id(request.POST.get("item"))
        if item_id is None:
            raise NotFound
        item = selectors.menu_item_orderable_get(actor=actor, id=item_id)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.menu_order_create_for_enterprise(
                    actor=actor,
                    item=item,
                    quantity=data["quantity"],
                    wanted_on=data["wanted_on"],
                    note=data["note"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, _("已提交点单，等待%(p)s审核。") % {"p": order.provider.name}
                )
                return redirect("enterprise:menu_order", order.pk)
    else:
        item_id = _item_id(request.GET.get("item"))
        if item_id is not None:
            item = selectors.menu_item_orderable_get(actor=actor, id=item_id)
        form = forms.MenuOrderForm(
            initial={"item": item_id, "quantity": 1, "wanted_on": timezone.localdate()}
        )
    menus = selectors.menu_offer(actor=actor, unit=unit)
    return render(
        request,
        "culture/enterprise/order_new.html",
        {"form": form, "item": item, "unit": unit, "menus": menus},
    )


@enterprise_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    orders = selectors.menu_order_list(actor=request.user)
    return render(
        request, "culture/enterprise/order_list.html", {"page_obj": paginate(request, orders)}
    )


@enterprise_required
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.menu_order_get(actor=request.user, id=order_id)
    return render(request, "culture/enterprise/order_detail.html", {"order": order})
