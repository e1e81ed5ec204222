"""Console pages of the menu service 菜单式服务: the federation keeps its yearly menu and
handles the orders on it; a unit orders from the menus above it and follows its orders.
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.permissions import Perm, has_perm
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, error_text, paginate, staff_required
from gonghui.culture import forms
from gonghui.culture.models import Menu, MenuOrder, OrderState
from gonghui.culture.selectors import menu as selectors
from gonghui.culture.services import menu as services

ORDER_COLUMNS = [
    Column("编号", lambda o: o.pk, 8),
    Column("菜单", lambda o: o.item.menu.title, 24),
    Column("项目", lambda o: o.item.title, 24),
    Column("类别", lambda o: o.item.get_kind_display(), 10),
    Column("点单单位", lambda o: o.unit.name, 24),
    Column("点单企业", lambda o: o.enterprise.name if o.enterprise else "", 24),
    Column("配送单位", lambda o: o.provider.name, 24),
    Column("数量", lambda o: o.quantity, 6),
    Column("计量单位", lambda o: o.item.unit, 6),
    Column("希望日期", lambda o: o.wanted_on, 12),
    Column("状态", lambda o: o.get_state_display(), 12),
    Column("审核意见", lambda o: o.reason, 24),
    Column("送达日期", lambda o: o.delivered_on, 12),
    Column("受益职工人数", lambda o: o.audience, 10),
    Column("点单时间", lambda o: o.created_at, 18),
]


MENU_COLUMNS = [
    Column("年度", lambda m: m.year, 8),
    Column("菜单名称", lambda m: m.title, 30),
    Column("发布单位", lambda m: m.organization.name, 24),
    Column("项目数", lambda m: m.item_count, 8),
    Column("状态", lambda m: "已发布" if m.is_published else "未发布", 8),
]
ITEM_COLUMNS = [
    Column("类别", lambda i: i.get_kind_display(), 10),
    Column("项目", lambda i: i.title, 24),
    Column("说明", lambda i: i.description, 30),
    Column("计量单位", lambda i: i.unit, 8),
    Column("年度总量", lambda i: i.quota, 10),
    Column("已订", lambda i: i.ordered, 8),
    Column("剩余", lambda i: i.left, 8),
    Column("每单位限额", lambda i: i.per_unit_quota, 10),
]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


# --- the federation's menu ------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def menu_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    if request.method == "GET" and wants_export(request):
        return export_list(request, "服务菜单", MENU_COLUMNS, selectors.menu_list(actor=actor))
    may_create = services.menu_may_publish(actor=actor)
    form = forms.MenuForm(
        request.POST or None,
        years=services.menu_year_range(),
        initial={"year": timezone.localdate().year},
    )
    if request.method == "POST" and may_create and form.is_valid():
        try:
            menu = services.menu_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已建立菜单，请增加项目后发布。"))
            return redirect("console:menu_detail", menu.pk)
    return render(
        request,
        "culture/menu/menu_list.html",
        {
            "menus": selectors.menu_list(actor=actor),
            "available": selectors.menu_available(actor=actor),
            "form": form,
            "may_create": may_create,
        },
    )


def _may_edit(actor: Any, menu: Menu) -> bool:
    return actor.organization_id == menu.organization_id and has_perm(actor, Perm.EDIT_RECORDS)


@staff_required
@require_http_methods(["GET", "POST"])
def menu_detail(request: HttpRequest, menu_id: int) -> HttpResponseBase:
    """The menu's items with what each holds and has left; its publisher adds items here."""
    actor: Any = request.user
    menu = selectors.menu_get(actor=actor, id=menu_id)
    if request.method == "GET" and wants_export(request):
        return export_list(
            request, f"{menu.year} {menu.title}", ITEM_COLUMNS, selectors.menu_items(menu=menu)
        )
    form = forms.MenuItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.menu_item_save(actor=actor, menu=menu, item=None, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已增加项目。"))
            return redirect("console:menu_detail", menu.pk)
    return render(
        request,
        "culture/menu/menu_detail.html",
        {
            "menu": menu,
            "items": selectors.menu_items(menu=menu),
            "form": form,
            "may_edit": _may_edit(actor, menu),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def menu_item_edit(request: HttpRequest, menu_id: int, item_id: int) -> HttpResponse:
    actor: Any = request.user
    menu = selectors.menu_get(actor=actor, id=menu_id)
    item = selectors.menu_item_get(menu=menu, id=item_id)
    initial = {
        f: getattr(item, f)
        for f in ("kind", "title", "description", "unit", "quota", "per_unit_quota")
    }
    form = forms.MenuItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.menu_item_save(actor=actor, menu=menu, item=item, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:menu_detail", menu.pk)
    return render(
        request,
        "culture/menu/menu_item_form.html",
        {"menu": menu, "item": item, "form": form, "may_edit": _may_edit(actor, menu)},
    )


@staff_required
@require_POST
def menu_publish(request: HttpRequest, menu_id: int) -> HttpResponse:
    actor: Any = request.user
    menu = selectors.menu_get(actor=actor, id=menu_id)
    try:
        services.menu_publish(actor=actor, menu=menu)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("菜单已发布，下属单位可以点单了。"))
    return redirect("console:menu_detail", menu.pk)


# --- ordering ---------------------------------------------------------------------------------


def _order_form_context(
    request: HttpRequest, form: forms.MenuOrderForm, item: Any
) -> dict[str, Any]:
    actor: Any = request.user
    held = services.menu_unit_held(item=item, unit=actor.organization) if item else 0
    return {
        "form": form,
        "item": item,
        "unit_left": max(0, item.per_unit_quota - held) if item else None,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def menu_order_new(request: HttpRequest) -> HttpResponse:
    """The unit's "order from the menu" page: every menu it may order from, each item with
    what is left overall and for this unit; ``?item=`` opens the order form for one item
    (as a fragment when HTMX asks)."""
    actor: Any = request.user
    item = None
    if request.method == "POST":
        form = forms.MenuOrderForm(request.POST)
        item_id = _int(request.POST.get("item"))
        if item_id is None:
            raise NotFound
        item = selectors.menu_item_orderable_get(actor=actor, id=item_id)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.menu_order_create(
                    actor=actor,
                    item=item,
                    quantity=data["quantity"],
                    wanted_on=data["wanted_on"],
                    note=data["note"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("已提交点单，等待%(p)s审核。") % {"p": order.provider.name}
                )
                target = reverse("console:menu_order_detail", args=[order.pk])
                if request.htmx:  # type: ignore[attr-defined]
                    return HttpResponseClientRedirect(target)
                return redirect(target)
    else:
        item_id = _int(request.GET.get("item"))
        if request.GET.get("item") and item_id is None:
            raise NotFound
        if item_id is not None:
            item = selectors.menu_item_orderable_get(actor=actor, id=item_id)
        form = forms.MenuOrderForm(
            initial={"item": item_id, "quantity": 1, "wanted_on": timezone.localdate()}
        )
    context = _order_form_context(request, form, item)
    if request.htmx and item is not None:  # type: ignore[attr-defined]
        return render(request, "culture/menu/_order_form.html", context)
    context["menus"] = selectors.menu_offer(actor=actor, unit=actor.organization)
    context["may_order"] = has_perm(actor, Perm.EDIT_RECORDS)
    return render(request, "culture/menu/order_new.html", context)


# --- orders ----------------------------------------------------------------------------------


@staff_required
@require_GET
def menu_order_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    state = request.GET.get("state", "")
    if state not in OrderState.values:
        state = ""
    side = request.GET.get("side", "")
    if side not in selectors.MENU_ORDER_SIDES:
        side = ""
    menu_id = _int(request.GET.get("menu"))
    qs = selectors.menu_order_list(actor=actor, state=state, menu=menu_id, side=side)
    if wants_export(request):
        return export_list(request, "菜单点单", ORDER_COLUMNS, qs)
    return render(
        request,
        "culture/menu/order_list.html",
        {
            "page_obj": paginate(request, qs),
            "state": state,
            "states": OrderState.choices,
            "side": side,
            "sides": [
                ("", _("全部")),
                ("received", _("本单位收到的")),
                ("placed", _("本单位点的")),
            ],
        },
    )


def _detail_context(actor: Any, order: MenuOrder, **forms_: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "order": order,
        "actions": services.menu_order_actions(actor=actor, order=order),
        "approve_form": forms.ApproveForm(),
        "refuse_form": forms.RefuseForm(),
        "deliver_form": forms.DeliverForm(initial={"delivered_on": timezone.localdate()}),
    }
    context.update(forms_)
    return context


@staff_required
@require_GET
def menu_order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    actor: Any = request.user
    order = selectors.menu_order_get(actor=actor, id=order_id)
    return render(request, "culture/menu/order_detail.html", _detail_context(actor, order))


ACT_FORMS: dict[str, tuple[str, type[Any] | None]] = {
    "cancel": ("", None),
    "approve": ("approve_form", forms.ApproveForm),
    "reject": ("refuse_form", forms.RefuseForm),
    "deliver": ("deliver_form", forms.DeliverForm),
}


def _act(actor: Any, order: MenuOrder, action: str, data: dict[str, Any]) -> str:
    """Run one action; returns the success message."""
    if action == "cancel":
        services.menu_order_cancel(actor=actor, order=order)
        return _("已撤回点单。")
    if action in ("approve", "reject"):
        approve = action == "approve"
        services.menu_order_decide(
            actor=actor, order=order, approve=approve, reason=data.get("reason", "")
        )
        return _("已同意，请安排配送。") if approve else _("已作不同意处理，理由已告知点单单位。")
    services.menu_order_deliver(
        actor=actor,
        order=order,
        delivered_on=data.get("delivered_on"),
        delivery_note=data.get("delivery_note", ""),
        audience=data.get("audience"),
    )
    return _("已记录送达。")


@staff_required
@require_POST
def menu_order_act(request: HttpRequest, order_id: int, order_action: str) -> HttpResponse:
    """Cancel (the unit), approve or refuse, record delivery (the federation). A refused
    submission shows the page again with each message at its field."""
    actor: Any = request.user
    order = selectors.menu_order_get(actor=actor, id=order_id)
    action = order_action
    if action not in ACT_FORMS:
        raise NotFound
    form_name, form_class = ACT_FORMS[action]
    form = form_class(request.POST) if form_class is not None else None
    data: dict[str, Any] = {}
    if form is not None:
        if not form.is_valid():
            return _redisplay(request, order, form_name, form)
        data = form.cleaned_data
    try:
        message = _act(actor, order, action, data)
    except ValidationError as exc:
        if form is None:
            messages.error(request, error_text(exc))
            return redirect("console:menu_order_detail", order.pk)
        apply_errors(form, exc)
        return _redisplay(request, order, form_name, form)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("console:menu_order_detail", order.pk)
    messages.success(request, message)
    return redirect("console:menu_order_detail", order.pk)


def _redisplay(request: HttpRequest, order: MenuOrder, form_name: str, form: Any) -> HttpResponse:
    actor: Any = request.user
    order = selectors.menu_order_get(actor=actor, id=order.pk)  # nothing was saved
    context = _detail_context(actor, order, **{form_name: form})
    return render(request, "culture/menu/order_detail.html", context)
