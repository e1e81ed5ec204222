"""The worker's pages: home, member card, joining and transfers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import inbox, modules
from gonghui.core import selectors as core_selectors
from gonghui.core.crypto import mask_name
from gonghui.core.web import apply_errors, error_text, worker_required
from gonghui.members import card, selectors, services
from gonghui.members.forms import JoinForm, TransferForm
from gonghui.members.models import MembershipStatus
from gonghui.organizations import selectors as org_selectors


@worker_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    person = selectors.person_get(actor=user, id=user.person_id)
    return render(
        request,
        "members/portal/home.html",
        {
            "person": person,
            "membership": selectors.active_membership(person=person),
            # Requests still under way (waiting for the union, or for the worker).
            "open_items": inbox.open_for(person.pk)[:5],
            # What the worker may do, from every module's portal tiles, and the modules'
            # cards (what they may book now...).
            "portal_tiles": modules.portal_tiles(user),
            "portal_cards": modules.portal_cards(user),
            # Notices: the newest unread messages.
            "unread": list(
                core_selectors.notification_list(actor=user).filter(read_at__isnull=True)[:3]
            ),
        },
    )


@worker_required
@require_GET
def member_card(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    person = selectors.person_get(actor=user, id=user.person_id)
    membership = selectors.active_membership(person=person)
    context: dict[str, Any] = {"person": person, "membership": membership}
    if membership is not None:
        token = card.card_token(membership)
        url = request.build_absolute_uri(reverse("portal:card_verify", args=[token]))
        context["qr"] = card.qr_svg(url)
        context["refresh_seconds"] = card.MAX_AGE_SECONDS // 2
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "members/portal/_card_qr.html", context)
    return render(request, "members/portal/card.html", context)


@require_GET
def card_verify(request: HttpRequest, token: str) -> HttpResponse:
    """What anyone who scans a member card sees: valid or not, a masked name, the union.
    Deliberately public and minimal (the token, not a login, is the credential)."""
    read = card.card_token_read(token)
    membership = None
    if read is not None:
        membership = selectors.membership_by_card(id=read[0], card_number=read[1])
    valid = membership is not None and membership.status == MembershipStatus.ACTIVE
    return render(
        request,
        "members/portal/card_verify.html",
        {
            "valid": valid,
            "expired": read is None,
            "name": mask_name(membership.person.name, keep_last=True) if membership else "",
            "membership": membership,
        },
    )


@worker_required
def join(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    person = selectors.person_get(actor=user, id=user.person_id)
    membership = selectors.active_membership(person=person)
    form = JoinForm(request.POST or None)
    union = None
    if request.method == "POST" and form.is_valid():
        try:
            union = org_selectors.public_union_get(id=form.cleaned_data["union"])
            application = services.join_apply(
                actor=user,
                person=person,
                union=union,
                employer_name=form.cleaned_data["employer_name"],
                note=form.cleaned_data["note"],
            )
        except Http404:
            form.add_error("union", _("请先查找并选择要加入的工会。"))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("入会申请已提交，工会审批后会通知您。"))
            return redirect("portal:join_detail", application.pk)
    elif request.method == "POST" and form.errors.get("union"):
        form.errors["union"] = form.error_class([_("请先查找并选择要加入的工会。")])
    return render(
        request,
        "members/portal/join.html",
        {"form": form, "membership": membership, "union": union},
    )


@worker_required
@require_GET
def union_search(request: HttpRequest) -> HttpResponse:
    unions = org_selectors.public_union_search(q=request.GET.get("q", ""))
    return render(request, "members/portal/_union_options.html", {"unions": unions})


@worker_required
@require_GET
def join_detail(request: HttpRequest, join_id: int) -> HttpResponse:
    application = selectors.join_application_get(actor=request.user, id=join_id)
    return render(request, "members/portal/join_detail.html", {"application": application})


@worker_required
@require_POST
def join_withdraw(request: HttpRequest, join_id: int) -> HttpResponse:
    application = selectors.join_application_get(actor=request.user, id=join_id)
    try:
        services.join_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已撤回入会申请。"))
    return redirect("portal:join_detail", application.pk)


@worker_required
def transfer(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    person = selectors.person_get(actor=user, id=user.person_id)
    membership = selectors.active_membership(person=person)
    if membership is None:
        messages.info(request, _("您还不是会员，请先申请入会。"))
        return redirect("portal:join")
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            target = org_selectors.public_union_get(id=form.cleaned_data["to_union"])
            request_ = services.transfer_request(
                actor=user,
                membership=membership,
                to_union=target,
                reason=form.cleaned_data["reason"],
            )
        except Http404:
            form.add_error("to_union", _("请先查找并选择转入的工会。"))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("转接申请已提交，转入工会同意后生效。"))
            return redirect("portal:transfer_detail", request_.pk)
    elif request.method == "POST" and form.errors.get("to_union"):
        form.errors["to_union"] = form.error_class([_("请先查找并选择转入的工会。")])
    return render(request, "members/portal/transfer.html", {"form": form, "membership": membership})


@worker_required
@require_GET
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer_request = selectors.transfer_get(actor=request.user, id=transfer_id)
    return render(request, "members/portal/transfer_detail.html", {"transfer": transfer_request})


@worker_required
@require_POST
def transfer_cancel(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer_request = selectors.transfer_get(actor=request.user, id=transfer_id)
    try:
        services.transfer_cancel(actor=request.user, transfer=transfer_request)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已撤回转接申请。"))
    return redirect("portal:transfer_detail", transfer_request.pk)
