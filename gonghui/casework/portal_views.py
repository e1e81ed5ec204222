"""The worker's casework pages: ask for help, follow a case, add material, rate, book a
counselling slot."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.casework import documents, forms, selectors
from gonghui.casework.models import Case, CaseState
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import counselling as counselling_services
from gonghui.casework.services import materials as materials_services
from gonghui.core.web import apply_errors, error_text, worker_required
from gonghui.members import selectors as member_selectors


def _my_case(request: HttpRequest, case_id: int) -> Case:
    return selectors.case_get(actor=request.user, id=case_id)


@worker_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    places = selectors.service_places_open()
    initial = {}
    code = request.GET.get("type")
    if code:
        initial["service_type"] = selectors.service_type_by_code(code)
    form = forms.PortalCaseForm(request.POST or None, places=places, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = cases_services.case_open(
                actor=user,
                person=user.person,
                service_type=data["service_type"],
                title=data["title"],
                description=data["description"],
                place=data["place"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交，由%(h)s受理。") % {"h": case.handler.name})
            return redirect("portal:case_detail", case.pk)
    return render(request, "casework/portal/case_new.html", {"form": form})


def _detail(request: HttpRequest, case: Case, **bound: Any) -> HttpResponse:
    """The worker's case page; ``bound``: a refused form, shown with its errors at its
    fields and what was typed."""
    context = {
        "case": case,
        "events": selectors.case_timeline(case=case, public_only=True),
        "deadline_status": selectors.case_deadline_status(case=case),
        "materials": case.materials.select_related("uploaded_by"),
        "material_form": forms.MaterialForm(),
        "confirm_form": forms.ConfirmForm(),
        "withdraw_form": forms.WithdrawForm(),
        "open": case.state in (CaseState.SUBMITTED, CaseState.ACCEPTED),
    }
    context.update(bound)
    return render(request, "casework/portal/case_detail.html", context)


@worker_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _detail(request, _my_case(request, case_id))


@worker_required
@require_POST
def case_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _my_case(request, case_id)
    form = forms.WithdrawForm(request.POST)
    if form.is_valid():
        try:
            cases_services.case_withdraw(
                actor=request.user, case=case, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已撤回。"))
            return redirect("portal:case_detail", case.pk)
    return _detail(request, _my_case(request, case_id), withdraw_form=form)


@worker_required
@require_POST
def case_confirm(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _my_case(request, case_id)
    form = forms.ConfirmForm(request.POST)
    if form.is_valid():
        try:
            cases_services.case_confirm(
                actor=request.user,
                case=case,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("portal:case_detail", case.pk)
    return _detail(request, _my_case(request, case_id), confirm_form=form)


@worker_required
@require_POST
def case_material_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _my_case(request, case_id)
    form = forms.MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            materials_services.case_material_add(
                actor=request.user, case=case, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已上传材料。"))
    else:
        messages.error(request, " ".join(str(m) for msgs in form.errors.values() for m in msgs))
    return redirect("portal:case_detail", case.pk)


@worker_required
@require_GET
def case_material(request: HttpRequest, case_id: int, material_id: int) -> HttpResponse:
    case = _my_case(request, case_id)
    return documents.material_response(selectors.case_material_get(case=case, id=material_id))


@worker_required
@require_GET
def counselling(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "casework/portal/counselling.html",
        {
            "slots": selectors.open_slots()[:50],
            "mine": selectors.person_slots(person_id=user.person_id).order_by("-starts_at")[:20],
            "form": forms.BookForm(),
        },
    )


@worker_required
@require_POST
def slot_book(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = selectors.open_slot_get(id=slot_id)
    form = forms.BookForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"topic": [_("请简要说明想咨询的方面。")]})
        booked = counselling_services.slot_book(
            actor=request.user,
            slot=slot,
            topic=form.cleaned_data["topic"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("portal:counselling")
    messages.success(request, _("预约成功。"))
    if booked.case_id:
        return redirect("portal:case_detail", booked.case_id)
    return redirect("portal:counselling")


@worker_required
@require_POST
def slot_cancel(request: HttpRequest, slot_id: int) -> HttpResponse:
    user: Any = request.user
    slot = selectors.person_slot_get(person_id=user.person_id, id=slot_id)
    try:
        counselling_services.slot_cancel(actor=user, slot=slot)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已取消预约。"))
    return redirect("portal:counselling")


@worker_required
@require_GET
def stations(request: HttpRequest) -> HttpResponse:
    """The nearest service station: by district and town (the worker's own union's, until
    they choose), with opening hours and a one-tap call."""
    user: Any = request.user
    districts, towns = selectors.station_areas()
    district = next((d for d in districts if str(d.pk) == request.GET.get("district")), None)
    town = next((t for t in towns if str(t.pk) == request.GET.get("town")), None)
    if "district" not in request.GET:
        home = member_selectors.active_membership(person=user.person)
        path = home.union.path if home is not None else ""
        district = next((d for d in districts if path.startswith(d.path)), None)
        town = next((t for t in towns if path.startswith(t.path)), None)
    if district is not None and town is not None and not town.path.startswith(district.path):
        town = None
    return render(
        request,
        "casework/portal/stations.html",
        {
            "districts": districts,
            "towns": [
                t for t in towns if district is not None and t.path.startswith(district.path)
            ],
            "district": district,
            "town": town,
            "stations": selectors.stations_near(district=district, town=town),
        },
    )
