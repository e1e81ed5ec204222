"""Console pages of the periods: the list, a period's page with its rules as a table per
category, its settings form, the rules editor (a row per band, rows added and removed in
place), copy / publish / close, and the "try these rules on an invoice" calculator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.modules import MenuEntry
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, error_text, paginate, staff_required
from gonghui.funds import selectors as funds_selectors
from gonghui.mutualaid import rules
from gonghui.mutualaid.forms.periods import CalculatorForm, PeriodForm
from gonghui.mutualaid.models import Period, PeriodStatus
from gonghui.mutualaid.selectors import periods as selectors
from gonghui.mutualaid.services import periods as services
from gonghui.organizations import selectors as org_selectors
from gonghui.organizations.models import OrgKind

MENU = (
    MenuEntry(
        "mutualaid_periods",
        "mutualaid",
        gettext_lazy("保障期与规则"),
        "console:mutualaid_periods",
        "bi-shield-plus",
        10,
    ),
    MenuEntry(
        "mutualaid_calculator",
        "mutualaid",
        gettext_lazy("赔付试算"),
        "console:mutualaid_calculator",
        "bi-calculator",
        15,
    ),
)

PERIOD_COLUMNS = [
    Column("主办工会", lambda p: p.organization.name, 24),
    Column("期数", lambda p: p.number, 6),
    Column("名称", lambda p: p.name, 20),
    Column("保障开始", lambda p: p.starts_on, 12),
    Column("保障结束", lambda p: p.ends_on, 12),
    Column("参保登记开始", lambda p: p.enrol_opens_on, 12),
    Column("参保登记截止", lambda p: p.enrol_closes_on, 12),
    Column("每人缴费", lambda p: p.fee, 10),
    Column("理赔截止", lambda p: p.claims_close_on, 12),
    Column("状态", lambda p: p.get_status_display(), 8),
]
SEX_LABELS = {"F": gettext_lazy("限女职工"), "M": gettext_lazy("限男职工")}


def _actor(request: HttpRequest) -> Any:
    return request.user


def _may_create(actor: Any) -> bool:
    org = getattr(actor, "organization", None)
    return (
        has_perm(actor, Perm.EDIT_RECORDS) and org is not None and (org.kind != OrgKind.GRASSROOTS)
    )


# --- the rules, shown --------------------------------------------------------------------------


def yuan(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


def rules_table(period: Period) -> list[dict[str, Any]] | None:
    """The period's rules for the page: per category its deductible, bands and caps, in
    words and figures; ``None`` when they are not set (or not valid, in a draft)."""
    parsed = selectors.period_rules(period=period)
    if parsed is None:
        return None
    rows = []
    for cat in parsed.categories:
        bands = [
            {
                "range": (
                    _("%(s)s 元以上") % {"s": yuan(b.start)}
                    if b.end is None
                    else _("%(s)s – %(e)s 元") % {"s": yuan(b.start), "e": yuan(b.end)}
                ),
                "rate": rules.rate_text(b.rate),
            }
            for b in cat.bands
        ]
        rows.append(
            {
                "code": cat.code,
                "name": cat.name,
                "deductible": yuan(cat.deductible),
                "bands": bands,
                "per_claim_cap": yuan(cat.per_claim_cap),
                "yearly_cap": yuan(cat.yearly_cap),
                "lump_sum": yuan(cat.lump_sum),
                "sex": SEX_LABELS.get(cat.sex or "", ""),
            }
        )
    return rows


# --- the list and one period -------------------------------------------------------------------


@staff_required
@require_GET
def period_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    status = request.GET.get("status", "")
    qs = selectors.period_list(actor=actor, status=status)
    if wants_export(request):
        return export_list(request, "互助保障期", PERIOD_COLUMNS, qs)
    return render(
        request,
        "mutualaid/periods/list.html",
        {
            "page_obj": paginate(request, qs),
            "status": status,
            "statuses": PeriodStatus.choices,
            "may_create": _may_create(actor),
        },
    )


@staff_required
@require_GET
def period_detail(request: HttpRequest, period_id: int) -> HttpResponse:
    actor = _actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    may_edit = selectors.period_may_edit(actor=actor, period=period)
    frozen = selectors.period_has_records(period=period)
    parsed = selectors.period_rules(period=period)
    return render(
        request,
        "mutualaid/periods/detail.html",
        {
            "period": period,
            "table": rules_table(period),
            "yearly_cap": yuan(parsed.yearly_cap) if parsed is not None else "",
            "may_edit": may_edit,
            "frozen": frozen,
            "rules_editable": may_edit and not frozen and period.status != PeriodStatus.CLOSED,
            "is_latest": period.pk in selectors.period_latest_ids(actor=actor),
        },
    )


def _form(request: HttpRequest, actor: Any, period: Period | None) -> PeriodForm:
    funds = funds_selectors.fund_list(actor=actor).filter(active=True)
    if period is not None:
        return PeriodForm(request.POST or None, funds=funds, initial=PeriodForm.initial_of(period))
    return PeriodForm(
        request.POST or None,
        funds=funds,
        organizations=org_selectors.federation_list(actor=actor).exclude(kind=OrgKind.GRASSROOTS),
        initial={"organization": actor.organization_id},
    )


def _settings(data: dict[str, Any]) -> services.PeriodSettings:
    names = services.PeriodSettings.__dataclass_fields__
    return services.PeriodSettings(**{k: v for k, v in data.items() if k in names})


@staff_required
def period_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = _form(request, actor, None)
    if request.method == "POST" and form.is_valid():
        try:
            period = services.period_create(
                actor=actor,
                organization=form.cleaned_data["organization"],
                settings=_settings(form.cleaned_data),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("已建立“%(n)s”，请设置保障规则后发布。") % {"n": period.name}
            )
            return redirect("console:mutualaid_period_rules", period.pk)
    return render(request, "mutualaid/periods/form.html", {"form": form, "period": None})


@staff_required
def period_edit(request: HttpRequest, period_id: int) -> HttpResponse:
    actor = _actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    require(actor, Perm.EDIT_RECORDS)
    form = _form(request, actor, period)
    if request.method == "POST" and form.is_valid():
        try:
            services.period_update(
                actor=actor, period=period, settings=_settings(form.cleaned_data)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存“%(n)s”的设置。") % {"n": period.name})
            return redirect("console:mutualaid_period", period.pk)
    return render(request, "mutualaid/periods/form.html", {"form": form, "period": period})


def _act(request: HttpRequest, period_id: int, act: Any, done: str) -> HttpResponse:
    actor = _actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    require(actor, Perm.EDIT_RECORDS)
    try:
        result = act(actor=actor, period=period)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("console:mutualaid_period", period.pk)
    messages.success(request, done % {"n": result.name})
    return redirect("console:mutualaid_period", result.pk)


@staff_required
@require_POST
def period_publish(request: HttpRequest, period_id: int) -> HttpResponse:
    return _act(request, period_id, services.period_publish, _("已发布“%(n)s”。"))


@staff_required
@require_POST
def period_close(request: HttpRequest, period_id: int) -> HttpResponse:
    return _act(request, period_id, services.period_close, _("已结束“%(n)s”。"))


@staff_required
@require_POST
def period_copy(request: HttpRequest, period_id: int) -> HttpResponse:
    actor = _actor(request)
    source = selectors.period_get(actor=actor, id=period_id)
    require(actor, Perm.EDIT_RECORDS)
    try:
        period = services.period_copy(actor=actor, source=source)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("console:mutualaid_period", source.pk)
    messages.success(
        request,
        _("已从“%(s)s”复制建立“%(n)s”（规则、缴费和各项设置相同，日期顺延一年），请核对后发布。")
        % {"s": source.name, "n": period.name},
    )
    return redirect("console:mutualaid_period", period.pk)


# --- the rules editor ----------------------------------------------------------------------------


@dataclass
class Cell:
    """One input of the rules editor: its posted name, its value as typed, its errors."""

    name: str
    value: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class BandRow:
    index: int
    start: Cell
    end: Cell
    rate: Cell
    errors: list[str] = field(default_factory=list)


@dataclass
class CategoryBlock:
    index: int
    code: Cell
    name: Cell
    deductible: Cell
    per_claim_cap: Cell
    yearly_cap: Cell
    lump_sum: Cell
    sex: Cell
    bands: list[BandRow]
    errors: list[str] = field(default_factory=list)
    band_errors: list[str] = field(default_factory=list)


CATEGORY_FIELDS = ("code", "name", "deductible", "per_claim_cap", "yearly_cap", "lump_sum", "sex")
BAND_FIELDS = ("start", "end", "rate")
NEW_CATEGORY = {
    "code": "",
    "name": "",
    "deductible": "0",
    "bands": [{"start": "0", "end": None, "rate": "50"}],
}


class RulesEditor:
    """The rules as rows of inputs (``c-0-name``, ``c-0-b-1-start`` …): read from the
    period's JSON or from a post, turned back into the JSON the service checks, with the
    service's errors (``rules.categories.0.bands.1.start``) put at their inputs."""

    def __init__(self, yearly_cap: str, categories: list[CategoryBlock]) -> None:
        self.yearly_cap = Cell("yearly_cap", yearly_cap)
        self.categories = categories
        self.errors: list[str] = []

    @staticmethod
    def _text(value: Any) -> str:
        return "" if value is None else str(value)

    @classmethod
    def _block(cls, index: int, values: dict[str, Any]) -> CategoryBlock:
        prefix = f"c-{index}"

        def cell(name: str, source: dict[str, Any]) -> Cell:
            return Cell(f"{prefix}-{name}", cls._text(source.get(name.rsplit("-", 1)[-1])))

        bands = []
        for j, raw in enumerate(values.get("bands") or []):
            band = raw if isinstance(raw, dict) else {}
            start, end, rate = (cell(f"b-{j}-{name}", band) for name in BAND_FIELDS)
            bands.append(BandRow(j, start, end, rate))
        return CategoryBlock(
            index=index,
            code=cell("code", values),
            name=cell("name", values),
            deductible=cell("deductible", values),
            per_claim_cap=cell("per_claim_cap", values),
            yearly_cap=cell("yearly_cap", values),
            lump_sum=cell("lump_sum", values),
            sex=cell("sex", values),
            bands=bands,
        )

    @classmethod
    def of_rules(cls, data: Any) -> RulesEditor:
        data = data if isinstance(data, dict) else {}
        categories = data.get("categories") if isinstance(data.get("categories"), list) else []
        blocks = [cls._block(i, c if isinstance(c, dict) else {}) for i, c in enumerate(categories)]
        if not blocks:
            blocks = [cls._block(0, NEW_CATEGORY)]
        return cls(cls._text(data.get("yearly_cap")), blocks)

    @staticmethod
    def _count(post: QueryDict, name: str) -> int:
        text = post.get(name, "0")
        number = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else 0
        return min(number, rules.MAX_BANDS + 1)

    @classmethod
    def of_post(cls, post: QueryDict) -> RulesEditor:
        categories = []
        for i in range(cls._count(post, "categories")):
            values: dict[str, Any] = {
                name: post.get(f"c-{i}-{name}", "")[:40] for name in CATEGORY_FIELDS
            }
            values["bands"] = [
                {name: post.get(f"c-{i}-b-{j}-{name}", "")[:20] for name in BAND_FIELDS}
                for j in range(cls._count(post, f"c-{i}-bands"))
            ]
            categories.append(cls._block(i, values))
        return cls(post.get("yearly_cap", "")[:20], categories)

    def data(self) -> dict[str, Any]:
        """The JSON the service checks: empty inputs are "not set" (``None``)."""

        def value(cell: Cell) -> str | None:
            return cell.value.strip() or None

        return {
            "yearly_cap": value(self.yearly_cap),
            "categories": [
                {
                    "code": c.code.value.strip(),
                    "name": c.name.value,
                    "deductible": value(c.deductible) or "0",
                    "bands": [
                        {"start": value(b.start), "end": value(b.end), "rate": value(b.rate)}
                        for b in c.bands
                    ],
                    "per_claim_cap": value(c.per_claim_cap),
                    "yearly_cap": value(c.yearly_cap),
                    "lump_sum": value(c.lump_sum),
                    "sex": value(c.sex),
                }
                for c in self.categories
            ],
        }

    def apply(self, action: str) -> None:
        """Add or remove a category or a band row (nothing is saved)."""
        parts = action.split("-")
        try:
            numbers = [int(p) for p in parts[1:]]
        except ValueError:
            return
        kind = parts[0]
        data = self.data()
        cats = data["categories"]
        if kind == "add_category" and len(cats) < rules.MAX_CATEGORIES:
            cats.append(NEW_CATEGORY)
        elif kind == "remove_category" and len(numbers) == 1 and 0 <= numbers[0] < len(cats):
            del cats[numbers[0]]
        elif kind == "add_band" and len(numbers) == 1 and 0 <= numbers[0] < len(cats):
            bands = cats[numbers[0]]["bands"]
            if len(bands) < rules.MAX_BANDS:
                start = bands[-1]["end"] if bands and bands[-1]["end"] else None
                bands.append({"start": start or "", "end": None, "rate": ""})
        elif kind == "remove_band" and len(numbers) == 2 and 0 <= numbers[0] < len(cats):
            bands = cats[numbers[0]]["bands"]
            if 0 <= numbers[1] < len(bands):
                del bands[numbers[1]]
        else:
            return
        fresh = RulesEditor.of_rules(data)
        self.yearly_cap, self.categories = fresh.yearly_cap, fresh.categories

    @property
    def has_errors(self) -> bool:
        if self.errors or self.yearly_cap.errors:
            return True
        for c in self.categories:
            cells = [getattr(c, name) for name in CATEGORY_FIELDS]
            cells += [getattr(b, name) for b in c.bands for name in BAND_FIELDS]
            if c.errors or c.band_errors or any(b.errors for b in c.bands):
                return True
            if any(cell.errors for cell in cells):
                return True
        return False

    def put_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.errors.extend(exc.messages)
            return
        for path, found in exc.message_dict.items():
            parts = path.split(".")
            if parts[:1] == ["rules"]:
                parts = parts[1:]
            if not self._put(parts, found):
                self.errors.extend(found)

    def _put(self, parts: list[str], found: list[str]) -> bool:
        if parts == ["yearly_cap"]:
            self.yearly_cap.errors.extend(found)
            return True
        if len(parts) < 3 or parts[0] != "categories" or not parts[1].isdigit():
            return False
        index = int(parts[1])
        if index >= len(self.categories):
            return False
        block = self.categories[index]
        rest = parts[2:]
        if rest == ["bands"]:
            block.band_errors.extend(found)
            return True
        if len(rest) == 1 and rest[0] in CATEGORY_FIELDS:
            getattr(block, rest[0]).errors.extend(found)
            return True
        if len(rest) >= 2 and rest[0] == "bands" and rest[1].isdigit():
            j = int(rest[1])
            if j >= len(block.bands):
                return False
            row = block.bands[j]
            if len(rest) == 3 and rest[2] in BAND_FIELDS:
                getattr(row, rest[2]).errors.extend(found)
            else:
                row.errors.extend(found)
            return True
        block.errors.extend(found)
        return True


@staff_required
def period_rules(request: HttpRequest, period_id: int) -> HttpResponse:
    actor = _actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        editor = RulesEditor.of_post(request.POST)
        action = request.POST.get("action", "save")
        if action == "save":
            try:
                services.period_rules_save(actor=actor, period=period, rules_data=editor.data())
            except ValidationError as exc:
                editor.put_errors(exc)
            else:
                messages.success(request, _("已保存“%(n)s”的保障规则。") % {"n": period.name})
                target = reverse("console:mutualaid_period", args=[period.pk])
                if request.htmx:  # type: ignore[attr-defined]
                    return HttpResponseClientRedirect(target)
                return redirect("console:mutualaid_period", period.pk)
        else:
            editor.apply(action)
    else:
        editor = RulesEditor.of_rules(period.rules)
    context = {
        "period": period,
        "editor": editor,
        "sexes": [("", _("不限")), ("F", _("限女职工")), ("M", _("限男职工"))],
        "may_edit": selectors.period_may_edit(actor=actor, period=period)
        and not selectors.period_has_records(period=period)
        and period.status != PeriodStatus.CLOSED,
    }
    template = "mutualaid/periods/_rules_editor.html"
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, template, context)
    return render(request, "mutualaid/periods/rules.html", context)


# --- the calculator ---------------------------------------------------------------------------


@staff_required
@require_GET
def calculator(request: HttpRequest) -> HttpResponse:
    """Try a period's rules on an invoice: the benefit with its explanation, nothing saved.
    ``?period=`` names a period the actor sees (another branch's is "not found")."""
    actor = _actor(request)
    periods = selectors.period_list(actor=actor)
    period = None
    chosen = request.GET.get("period", "")
    if chosen:
        if not (chosen.isascii() and chosen.isdigit() and len(chosen) < 19):
            raise NotFound
        period = selectors.period_get(actor=actor, id=int(chosen))
    parsed = selectors.period_rules(period=period) if period is not None else None
    categories = [(c.code, c.name) for c in parsed.categories] if parsed else []
    bound = period is not None and "amounts" in request.GET
    form = CalculatorForm(
        request.GET if bound else None,
        periods=periods,
        categories=categories,
        initial={"period": period.pk if period else None},
    )
    trial = None
    if bound and form.is_valid() and period is not None:
        try:
            trial = selectors.benefit_try(
                actor=actor,
                period=period,
                category=form.cleaned_data["category"],
                amounts=form.amount_list(),
                earlier_eligible=form.cleaned_data["earlier_eligible"],
                other_benefit=form.cleaned_data["other_benefit"],
            )
        except ValidationError as exc:
            amount_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("amounts.")}
            rest = {k: v for k, v in exc.message_dict.items() if k not in amount_errors}
            for messages_ in amount_errors.values():
                for message in messages_:
                    form.add_error("amounts", message)
            if rest:
                apply_errors(form, ValidationError(rest))
    return render(
        request,
        "mutualaid/periods/calculator.html",
        {
            "form": form,
            "period": period,
            "no_rules": period is not None and parsed is None,
            "trial": trial,
        },
    )
