"""Console pages for the union tree, enterprises and the service network."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gonghui.accounts import selectors as account_selectors
from gonghui.core import modules
from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, paginate, staff_required
from gonghui.organizations import selectors, services
from gonghui.organizations.forms import (
    EnterpriseFilterForm,
    EnterpriseForm,
    OrganizationEditForm,
    OrganizationForm,
    OrganizationMoveForm,
    ServicePlaceForm,
    ServiceTypeForm,
)
from gonghui.organizations.models import Industry, OrgKind, ServiceTier


def _actor(request: HttpRequest) -> Any:
    return request.user


ORG_COLUMNS = [
    Column("名称", lambda o: o.name, 30),
    Column("层级", lambda o: o.kind_label, 16),
    Column("组织编码", lambda o: o.code, 14),
    Column("行政区划代码", lambda o: o.division_code, 14),
    Column("统一社会信用代码", lambda o: o.credit_code, 22),
    Column("上级组织", lambda o: o.parent.name if o.parent else "", 30),
    Column("工会主席", lambda o: o.chair_name, 10),
    Column("有效", lambda o: "是" if o.is_active else "否", 6),
]
SERVICE_TYPE_COLUMNS = [
    Column("服务类型", lambda t: t.name, 16),
    Column("说明", lambda t: t.description, 30),
    Column("响应时限", lambda t: t.response_limit, 8),
    Column("响应时限单位", lambda t: t.get_response_unit_display(), 10),
    Column("办结时限", lambda t: t.resolution_limit, 8),
    Column("办结时限单位", lambda t: t.get_resolution_unit_display(), 10),
    Column(
        "可办理的层级",
        lambda t: "、".join(str(dict(ServiceTier.choices).get(x, x)) for x in t.tiers),
        24,
    ),
    Column("自动关闭天数", lambda t: t.auto_close_days, 10),
    Column("状态", lambda t: "提供" if t.is_active else "停用", 6),
]
PLACE_COLUMNS = [
    Column("名称", lambda p: p.name, 30),
    Column("类别", lambda p: p.get_tier_display(), 16),
    Column("所属组织", lambda p: p.organization.name, 30),
    Column("地址", lambda p: p.address, 30),
    Column("咨询电话", lambda p: p.phone, 14),
    Column("开放时间", lambda p: "；".join(str(o) for o in p.opening.all()), 40),
    Column("提供的服务", lambda p: "、".join(t.name for t in p.service_types.all()), 40),
]


@staff_required
@require_GET
def org_tree(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    q = request.GET.get("q", "").strip()
    if wants_export(request):
        orgs = selectors.organization_list(actor=actor, q=q).select_related("parent")
        return export_list(request, "组织名录", ORG_COLUMNS, orgs)
    root = selectors.organization_get(actor=actor, id=actor.organization_id)
    context: dict[str, Any] = {"root": root, "q": q}
    if q:
        context["page_obj"] = paginate(request, selectors.organization_list(actor=actor, q=q))
    else:
        context["children"] = selectors.organization_children(actor=actor, org=root)
    return render(request, "organizations/tree.html", context)


@staff_required
@require_GET
def org_children(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    children = selectors.organization_children(actor=actor, org=org)
    return render(request, "organizations/_tree_children.html", {"children": children})


@staff_required
@require_GET
def org_pick(request: HttpRequest) -> HttpResponse:
    """HTMX, for the organisation picker (``organizations.picker``): the organisations of a
    source whose name matches ``q``, or the children of ``parent`` (the top of the tree the
    actor may browse when there is none). Only what the source offers this actor can be
    chosen; a parent outside the tree is "not found"."""
    actor = _actor(request)
    try:
        source = modules.org_picker(request.GET.get("source") or "subtree")
    except LookupError:
        raise NotFound from None
    pickable = import_string(source.pickable)(actor=actor)
    universe = selectors.picker_universe(actor=actor, city_wide=source.city_wide)
    q = request.GET.get("q", "").strip()[:50]
    context: dict[str, Any] = {
        "url": request.path,
        "source": source.key,
        "q": q,
        "mode": "search" if q else "browse",
    }
    if q:
        nodes = selectors.picker_search(universe=universe, pickable=pickable, q=q)
        context.update(nodes=nodes, capped=len(nodes) >= selectors.PICKER_LIMIT)
        return render(request, "organizations/_picker_results.html", context)
    parent_id = request.GET.get("parent", "")
    if parent_id:
        if not (parent_id.isascii() and parent_id.isdigit() and len(parent_id) < 12):
            raise NotFound
        parent = selectors.picker_get(universe=universe, id=int(parent_id))
    else:
        roots = selectors.picker_roots(universe=universe)
        if not roots:
            raise NotFound
        parent = roots[0]
    nodes = selectors.picker_children(universe=universe, pickable=pickable, parent=parent)
    context.update(
        parent=parent,
        parent_pickable=pickable.filter(pk=parent.pk).exists(),
        trail=selectors.picker_trail(universe=universe, org=parent),
        nodes=nodes[: selectors.PICKER_BROWSE_LIMIT],
        more=len(nodes) > selectors.PICKER_BROWSE_LIMIT,
    )
    return render(request, "organizations/_picker_results.html", context)


@staff_required
@require_GET
def org_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    return render(
        request,
        "organizations/org_detail.html",
        {
            "org": org,
            "ancestors": selectors.organization_ancestors(actor=actor, org=org),
            "children": selectors.organization_children(actor=actor, org=org)[:200],
            "places": selectors.service_place_list(actor=actor, within=org).filter(
                organization=org
            ),
            "moves": selectors.organization_moves(actor=actor, org=org)[:10],
            "staff": account_selectors.staff_list(actor=actor, organization=org),
        },
    )


@staff_required
def org_create(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    parent = selectors.organization_get(actor=actor, id=org_id)
    require(actor, Perm.MANAGE_ORGS)
    default_kind = {
        OrgKind.CITY: OrgKind.DISTRICT,
        OrgKind.DISTRICT: OrgKind.TOWN,
    }.get(OrgKind(parent.kind), OrgKind.GRASSROOTS)
    form = OrganizationForm(request.POST or None, initial={"kind": default_kind})
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(actor=actor, parent=parent, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已新增组织“%(n)s”。") % {"n": org.name})
            return redirect("console:org_detail", org.pk)
    return render(request, "organizations/org_form.html", {"form": form, "parent": parent})


@staff_required
def org_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    require(actor, Perm.MANAGE_ORGS)
    initial = {f: getattr(org, f) for f in OrganizationEditForm.base_fields if hasattr(org, f)}
    form = OrganizationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(actor=actor, org=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:org_detail", org.pk)
    return render(request, "organizations/org_form.html", {"form": form, "org": org})


@staff_required
def org_move(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    require(actor, Perm.MANAGE_ORGS)
    parents = (
        selectors.organization_list(actor=actor)
        .exclude(kind=OrgKind.GRASSROOTS)
        .exclude(path__startswith=org.path)
    )
    form = OrganizationMoveForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            move = services.organization_move(
                actor=actor,
                org=org,
                new_parent=form.cleaned_data["new_parent"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已将“%(n)s”及其 %(d)s 个下级组织移到“%(p)s”之下。")
                % {"n": org.name, "d": move.descendants, "p": move.new_parent.name},
            )
            return redirect("console:org_detail", org.pk)
    return render(request, "organizations/org_move.html", {"form": form, "org": org})


# --- enterprises ----------------------------------------------------------------------------

ENTERPRISE_COLUMNS = [
    Column("名称", lambda e: e.name, 30),
    Column("统一社会信用代码", lambda e: e.credit_code, 22),
    Column("行业", lambda e: e.get_industry_display(), 20),
    Column("职工人数", lambda e: e.employee_count, 10),
    Column("所在镇（街道）", lambda e: e.area.name, 20),
    Column("覆盖的基层工会", lambda e: e.union.name if e.union else "未建会", 30),
    Column("地址", lambda e: e.address, 40),
]


@staff_required
@require_GET
def enterprise_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    form = EnterpriseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.enterprise_list(actor=actor, **filters)
    if request.GET.get("format") == "xlsx":
        require(actor, Perm.EXPORT)
        return xlsx_response("企业名录", ENTERPRISE_COLUMNS, qs.iterator(chunk_size=2000))
    return render(
        request,
        "organizations/enterprise_list.html",
        {"form": form, "page_obj": paginate(request, qs)},
    )


def _enterprise_form(request: HttpRequest, actor: Any, **kwargs: Any) -> EnterpriseForm:
    areas = selectors.organization_list(actor=actor).exclude(kind=OrgKind.GRASSROOTS)
    unions = selectors.grassroots_list(actor=actor)
    return EnterpriseForm(request.POST or None, areas=areas, unions=unions, **kwargs)


@staff_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = _enterprise_form(request, actor, initial={"industry": Industry.C})
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记企业“%(n)s”。") % {"n": enterprise.name})
            return redirect("console:enterprise_detail", enterprise.pk)
    return render(request, "organizations/enterprise_form.html", {"form": form})


@staff_required
@require_GET
def enterprise_detail(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(actor=_actor(request), id=enterprise_id)
    return render(request, "organizations/enterprise_detail.html", {"enterprise": enterprise})


@staff_required
def enterprise_edit(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    actor = _actor(request)
    enterprise = selectors.enterprise_get(actor=actor, id=enterprise_id)
    require(actor, Perm.EDIT_RECORDS)
    initial = {f: getattr(enterprise, f) for f in EnterpriseForm.base_fields}
    form = _enterprise_form(request, actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(actor=actor, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:enterprise_detail", enterprise.pk)
    return render(
        request, "organizations/enterprise_form.html", {"form": form, "enterprise": enterprise}
    )


# --- service network ------------------------------------------------------------------------


@staff_required
@require_GET
def place_list(request: HttpRequest) -> HttpResponseBase:
    tier = request.GET.get("tier", "")
    qs = selectors.service_place_list(actor=_actor(request), tier=tier)
    if wants_export(request):
        return export_list(request, "服务阵地", PLACE_COLUMNS, list(qs))
    return render(
        request,
        "organizations/place_list.html",
        {"page_obj": paginate(request, qs), "tiers": ServiceTier.choices, "tier": tier},
    )


@staff_required
@require_GET
def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    place = selectors.service_place_get(actor=_actor(request), id=place_id)
    return render(request, "organizations/place_detail.html", {"place": place})


def _place_form(request: HttpRequest, actor: Any, **kwargs: Any) -> ServicePlaceForm:
    return ServicePlaceForm(
        request.POST or None,
        orgs=selectors.organization_list(actor=actor),
        staff=account_selectors.staff_list(actor=actor),
        **kwargs,
    )


def _save_place(request: HttpRequest, form: ServicePlaceForm, place: Any) -> Any:
    opening = form.opening()
    if form.errors:
        return None
    data = form.cleaned_data
    try:
        return services.service_place_save(
            actor=_actor(request),
            place=place,
            organization=data["organization"],
            tier=data["tier"],
            name=data["name"],
            address=data["address"],
            phone=data["phone"],
            service_types=data["service_types"],
            staff=data["staff"],
            opening=opening,
            is_active=data["is_active"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


@staff_required
def place_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = _place_form(request, actor, initial={"organization": actor.organization_id})
    if request.method == "POST" and form.is_valid():
        place = _save_place(request, form, None)
        if place is not None:
            messages.success(request, _("已登记服务阵地“%(n)s”。") % {"n": place.name})
            return redirect("console:place_detail", place.pk)
    return render(request, "organizations/place_form.html", {"form": form})


@staff_required
def place_edit(request: HttpRequest, place_id: int) -> HttpResponse:
    actor = _actor(request)
    place = selectors.service_place_get(actor=actor, id=place_id)
    require(actor, Perm.EDIT_RECORDS)
    initial: dict[str, Any] = {
        "organization": place.organization_id,
        "tier": place.tier,
        "name": place.name,
        "address": place.address,
        "phone": place.phone,
        "service_types": list(place.service_types.all()),
        "staff": list(place.staff.all()),
        "is_active": place.is_active,
    }
    for period in place.opening.all():
        initial[f"opens_{period.weekday}"] = period.opens
        initial[f"closes_{period.weekday}"] = period.closes
    form = _place_form(request, actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _save_place(request, form, place) is not None:
            messages.success(request, _("已保存。"))
            return redirect("console:place_detail", place.pk)
    return render(request, "organizations/place_form.html", {"form": form, "place": place})


# --- service types (city-wide reference data) ---------------------------------------------------


@staff_required
def service_types(request: HttpRequest) -> HttpResponseBase:
    """Every staff member sees the types, their deadlines and tiers (they route cases); the
    city federation's administrators change them."""
    actor: Any = request.user
    types = list(selectors.service_type_all())
    if request.method == "GET" and wants_export(request):
        return export_list(request, "服务类型与办理时限", SERVICE_TYPE_COLUMNS, types)
    editing = None
    form = None
    if request.method == "POST":
        editing = next((t for t in types if str(t.pk) == request.POST.get("type")), None)
        if editing is None:
            raise NotFound
        form = ServiceTypeForm(request.POST)
        if form.is_valid():
            try:
                services.service_type_update(actor=actor, service_type=editing, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已保存“%(t)s”。") % {"t": editing.name})
                return redirect("console:service_types")
    return render(
        request,
        "organizations/service_types.html",
        {
            "types": types,
            "editing": editing,
            "form": form,
            "may_change": services.may_keep_reference_data(actor),
            "forms": {
                t.pk: ServiceTypeForm(
                    initial={
                        "response_limit": t.response_limit,
                        "response_unit": t.response_unit,
                        "resolution_limit": t.resolution_limit,
                        "resolution_unit": t.resolution_unit,
                        "tiers": t.tiers,
                        "auto_close_days": t.auto_close_days,
                        "is_active": t.is_active,
                    },
                    auto_id=f"t{t.pk}_%s",
                )
                for t in types
            },
            "tier_labels": dict(ServiceTier.choices),
        },
    )
