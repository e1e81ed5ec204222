"""Importing enterprises from a spreadsheet: new ones are registered, known ones updated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import imports
from gonghui.core.imports import ImportColumn, Outcome, Progress, Row
from gonghui.core.models import ImportJob
from gonghui.core.text import StrOrPromise
from gonghui.core.validators import check_plain_text, normalize_credit_code
from gonghui.organizations import services
from gonghui.organizations.models import Enterprise, Industry, Organization, OrgKind

UPDATED_FIELDS = ("name", "industry", "employee_count", "address", "area", "union")


class EnterpriseImporter:
    kind = "enterprises"
    label: StrOrPromise = gettext_lazy("企业名录")
    columns = [
        ImportColumn("name", "企业名称", True, "嘉兴某某有限公司"),
        ImportColumn("credit_code", "统一社会信用代码", True, "91330402MA2B3C4D53"),
        ImportColumn("industry", "行业", True, "制造业", "国民经济行业门类名称或字母"),
        ImportColumn("employee_count", "职工人数", True, "120"),
        ImportColumn("area_code", "所在镇街编码", True, "330402103", "见“组织编码”工作表"),
        ImportColumn("union_code", "覆盖工会编码", False, "G0000001", "未建会留空"),
        ImportColumn("address", "地址", False, "嘉兴市南湖区某某路 1 号"),
    ]
    count_labels: dict[str, StrOrPromise] = {
        "created": gettext_lazy("新登记企业"),
        "updated": gettext_lazy("更新已登记企业"),
        "unchanged": gettext_lazy("无变化"),
    }

    def __init__(self) -> None:
        self.headers = {c.key: c.header for c in self.columns}
        self.industries = {str(label): value for value, label in Industry.choices}
        self.industries.update({value: value for value in Industry.values})

    def reference_sheets(self, *, actor: Any) -> list[tuple[str, list[str], list[list[Any]]]]:
        orgs = Organization.objects.visible_to(actor).filter(is_active=True).order_by("path")
        return [
            (
                "组织编码",
                ["组织编码", "名称", "层级"],
                [[o.code, o.name, o.kind_label] for o in orgs],
            ),
            (
                "行业",
                ["行业门类", "代码"],
                [[str(label), value] for value, label in Industry.choices],
            ),
        ]

    def _rows(
        self, actor: Any, rows: Iterator[Row], outcome: Outcome, progress: Progress
    ) -> Iterator[tuple[Row, dict[str, Any], Enterprise | None]]:
        orgs = {o.code: o for o in Organization.objects.visible_to(actor)}
        scope = actor.scope_path
        seen: dict[str, int] = {}
        done = 0
        for done, row in enumerate(rows, start=1):  # noqa: B007  (done is reported after)
            errors_before = outcome.error_total
            values: dict[str, Any] = {}
            for key in ("name", "address"):
                values[key] = row.get(key)
                try:
                    check_plain_text(values[key])
                except ValidationError as exc:
                    outcome.error(row.number, self.headers[key], exc.messages[0])
            if not values["name"]:
                outcome.error(row.number, self.headers["name"], _("请填写企业名称。"))
            try:
                values["credit_code"] = normalize_credit_code(row.get("credit_code"))
            except ValidationError as exc:
                outcome.error(row.number, self.headers["credit_code"], exc.messages[0])
            else:
                first = seen.setdefault(values["credit_code"], row.number)
                if first != row.number:
                    outcome.error(
                        row.number,
                        self.headers["credit_code"],
                        _("与第 %(r)s 行重复。") % {"r": first},
                    )
            values["industry"] = self.industries.get(row.get("industry"))
            if values["industry"] is None:
                outcome.error(
                    row.number,
                    self.headers["industry"],
                    _("行业应为国民经济行业门类，见“行业”工作表。"),
                )
            count = row.get("employee_count").replace(",", "")
            if not (count.isascii() and count.isdecimal()):
                outcome.error(row.number, self.headers["employee_count"], _("职工人数应为整数。"))
            else:
                values["employee_count"] = int(count)
            area = orgs.get(row.get("area_code"))
            if area is None or area.kind == OrgKind.GRASSROOTS:
                outcome.error(
                    row.number,
                    self.headers["area_code"],
                    _("所在镇街编码不存在或不在您的管理范围内。"),
                )
            values["area"] = area
            values["union"] = None
            if row.get("union_code"):
                union = orgs.get(row.get("union_code"))
                if union is None or union.kind != OrgKind.GRASSROOTS:
                    outcome.error(
                        row.number,
                        self.headers["union_code"],
                        _("覆盖工会编码不存在、不是基层工会，或不在您的管理范围内。"),
                    )
                values["union"] = union
            existing = None
            if "credit_code" in values:
                existing = Enterprise.unscoped.filter(credit_code=values["credit_code"]).first()
                if existing is not None and not (
                    existing.area.path.startswith(scope)
                    or (existing.union and existing.union.path.startswith(scope))
                ):
                    outcome.error(
                        row.number,
                        self.headers["credit_code"],
                        _("该企业已由其他辖区登记，请联系上级工会调整。"),
                    )
            if done % 500 == 0:
                progress(done)
            if outcome.error_total == errors_before:
                yield row, values, existing
        progress(done)

    def _classify(self, values: dict[str, Any], existing: Enterprise | None) -> str:
        if existing is None:
            return "created"
        changed = any(getattr(existing, f) != values[f] for f in UPDATED_FIELDS)
        return "updated" if changed else "unchanged"

    def check(
        self, *, actor: Any, rows: Iterator[Row], progress: Progress, stage: imports.Stage
    ) -> Outcome:
        outcome = Outcome()
        for _row, values, existing in self._rows(actor, rows, outcome, progress):
            outcome.count(self._classify(values, existing))
        return outcome

    def commit(
        self,
        *,
        actor: Any,
        rows: Iterator[Row],
        progress: Progress,
        job: ImportJob,
        staged: Iterator[Any] | None,
    ) -> Outcome:
        """Enterprises are few and go through the services one by one, validated again."""
        outcome = Outcome()
        for row, values, existing in self._rows(actor, rows, outcome, progress):
            kind = self._classify(values, existing)
            outcome.count(kind)
            if outcome.error_total:
                continue
            try:
                if existing is None:
                    services.enterprise_create(actor=actor, **values)
                elif kind == "updated":
                    changes = {f: values[f] for f in UPDATED_FIELDS}
                    services.enterprise_update(actor=actor, enterprise=existing, **changes)
            except ValidationError as exc:
                headers = {
                    **self.headers,
                    "area": self.headers["area_code"],
                    "union": self.headers["union_code"],
                }
                outcome.field_errors(row.number, exc, headers)
        return outcome


imports.register(EnterpriseImporter())
