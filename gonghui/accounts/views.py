"""Staff sign-in, and the console's pages of staff accounts and enterprise contacts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.accounts import selectors, services
from gonghui.accounts.forms import (
    EnterpriseContactForm,
    StaffEditForm,
    StaffForm,
    StaffLoginForm,
)
from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.permissions import Perm, require
from gonghui.core.web import apply_errors, error_text, paginate, staff_required
from gonghui.organizations import selectors as org_selectors


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.GONGHUI_DEMO:
            from gonghui.demo.accounts import demo_accounts

            context["demo_accounts"] = demo_accounts()
        return context

    def get_default_redirect_url(self) -> str:
        return "/console/"


STAFF_COLUMNS = [
    Column("姓名", lambda u: u.full_name, 12),
    Column("登录名", lambda u: u.username, 20),
    Column("所属组织", lambda u: u.organization.name, 30),
    Column("角色", lambda u: "、".join(u.role_labels), 20),
    Column("状态", lambda u: "启用" if u.is_active else "已停用", 8),
]


@staff_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponseBase:
    q = request.GET.get("q", "").strip()
    qs = selectors.staff_list(actor=request.user, q=q)
    if wants_export(request):
        return export_list(request, "工作人员", STAFF_COLUMNS, qs)
    return render(request, "accounts/staff_list.html", {"page_obj": paginate(request, qs), "q": q})


@staff_required
def staff_create(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    require(actor, Perm.MANAGE_STAFF)
    form = StaffForm(
        request.POST or None,
        orgs=org_selectors.organization_list(actor=actor),
        initial={"organization": actor.organization_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已创建账号 %(u)s。") % {"u": user.username})
            return redirect("console:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form})


@staff_required
def staff_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    actor: Any = request.user
    staff = selectors.staff_get(actor=actor, id=user_id)
    require(actor, Perm.MANAGE_STAFF)
    form = StaffEditForm(
        request.POST or None,
        initial={"full_name": staff.full_name, "roles": staff.roles, "is_active": staff.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(actor=actor, user=staff, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "staff": staff})


# --- enterprise contacts ----------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def enterprise_contacts(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    """An enterprise's contacts, and the form inviting one (by the staff covering it)."""
    actor: Any = request.user
    enterprise = org_selectors.enterprise_covered_get(actor=actor, id=enterprise_id)
    form = EnterpriseContactForm(request.POST or None)
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if form.is_valid():
            try:
                contact = services.enterprise_contact_invite(
                    actor=actor, enterprise=enterprise, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已邀请 %(n)s，短信已告知其登录方式。") % {"n": contact.full_name},
                )
                return redirect("console:enterprise_contacts", enterprise.pk)
    contacts = selectors.enterprise_contact_list(actor=actor, enterprise=enterprise)
    return render(
        request,
        "accounts/enterprise_contacts.html",
        {"enterprise": enterprise, "contacts": contacts, "form": form},
    )


@staff_required
@require_POST
def enterprise_contact_deactivate(
    request: HttpRequest, enterprise_id: int, contact_id: int
) -> HttpResponse:
    actor: Any = request.user
    enterprise = org_selectors.enterprise_covered_get(actor=actor, id=enterprise_id)
    contact = selectors.enterprise_contact_get(actor=actor, enterprise=enterprise, id=contact_id)
    try:
        services.enterprise_contact_deactivate(actor=actor, contact=contact)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已停用 %(n)s。") % {"n": contact.full_name})
    return redirect("console:enterprise_contacts", enterprise.pk)
