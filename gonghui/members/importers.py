"""Importing the member roll from a spreadsheet (ORG-4, PLT-3, MMA-2 scale).

Rows are validated by the same rules as a form (``services.person_clean``,
``services.membership_problems``), checked against the database a chunk at a time, and written
with the bulk writer (COPY on PostgreSQL), history rows included. Memory stays flat: only a
64-bit fingerprint per ID number and mobile is kept for the in-file duplicate check.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import bulk, counts, imports, validators
from gonghui.core.crypto import seal
from gonghui.core.imports import ImportColumn, Outcome, Progress, Row
from gonghui.core.models import ImportJob
from gonghui.core.text import StrOrPromise
from gonghui.members import selectors, services
from gonghui.members.models import (
    ID_NUMBER_PURPOSE,
    MOBILE_PURPOSE,
    Education,
    Household,
    Membership,
    MembershipStatus,
    Person,
)
from gonghui.organizations.models import Organization, OrgKind

CHUNK = 5000

PERSON_COLUMNS = (
    "id",
    "name",
    "id_number",
    "id_number_hash",
    "mobile",
    "mobile_hash",
    "birth_date",
    "sex",
    "household",
    "education",
    "employer_id",
    "created_at",
    "source_import_id",
    "source_row",
)
MEMBERSHIP_COLUMNS = (
    "id",
    "person_id",
    "union_id",
    "card_number",
    "joined_on",
    "status",
    "ended_on",
    "end_reason",
    "end_note",
    "previous_id",
    "created_at",
    "source_import_id",
    "source_row",
)


def _labels(choices: Any) -> dict[str, str]:
    """Accept a choice by its label as printed in the (Chinese) template, or its stored value."""
    with translation.override(settings.LANGUAGE_CODE):
        mapping = {str(label): value for value, label in choices}
    mapping.update({value: value for value, _label in choices})
    return mapping


@dataclass
class Prepared:
    row: int
    clean: services.CleanPerson
    union: Organization
    joined_on: datetime.date


class MemberImporter:
    kind = "members"
    label: StrOrPromise = gettext_lazy("会员名册")
    columns = [
        ImportColumn("name", "姓名", True, "张三"),
        ImportColumn("id_number", "身份证号", True, "330402199001011230", "18 位，末位可为 X"),
        ImportColumn("mobile", "手机号", False, "13800000000", "用于职工登录，可留空"),
        ImportColumn("union_code", "工会编码", True, "G0000001", "见“工会编码”工作表"),
        ImportColumn("joined_on", "入会日期", False, "2024-03-01", "留空为今天"),
        ImportColumn("household", "户籍类型", False, "城镇户籍", "城镇户籍或农村户籍"),
        ImportColumn("education", "学历", False, "本科", "小学及以下、初中、高中、中专……"),
    ]
    count_labels: dict[str, StrOrPromise] = {
        "new_people": gettext_lazy("新登记职工并入会"),
        "existing_people": gettext_lazy("已登记职工入会"),
        "unchanged": gettext_lazy("已是本工会会员，不变"),
    }

    def __init__(self) -> None:
        self.headers = {c.key: c.header for c in self.columns}
        self.headers["union"] = self.headers["union_code"]
        self.households = _labels(Household.choices)
        self.educations = _labels(Education.choices)

    # --- template -------------------------------------------------------------------------

    def reference_sheets(self, *, actor: Any) -> list[tuple[str, list[str], list[list[Any]]]]:
        unions = (
            Organization.objects.visible_to(actor)
            .filter(kind=OrgKind.GRASSROOTS, is_active=True)
            .select_related("parent")
            .order_by("path")
        )
        return [
            (
                "工会编码",
                ["工会编码", "工会名称", "上级组织"],
                [[u.code, u.name, u.parent.name if u.parent else ""] for u in unions],
            )
        ]

    # --- validation -----------------------------------------------------------------------

    def _unions(self, actor: Any) -> dict[str, Organization]:
        return {
            org.code: org
            for org in Organization.objects.visible_to(actor)
            .filter(kind=OrgKind.GRASSROOTS)
            .only("id", "code", "name", "kind", "is_active", "path")
        }

    def _prepare(
        self,
        row: Row,
        unions: dict[str, Organization],
        seen: dict[int, int],
        outcome: Outcome,
        today: datetime.date,
    ) -> Prepared | None:
        errors_before = outcome.error_total
        household = self.households.get(row.get("household"), None)
        if row.get("household") and household is None:
            outcome.error(
                row.number, self.headers["household"], _("户籍类型应为“城镇户籍”或“农村户籍”。")
            )
        education = self.educations.get(row.get("education"), None)
        if row.get("education") and education is None:
            outcome.error(
                row.number, self.headers["education"], _("学历填写不正确，请从模板的选项中选择。")
            )
        try:
            clean = services.person_clean(
                services.PersonInput(
                    name=row.get("name"),
                    id_number=row.get("id_number"),
                    mobile=row.get("mobile"),
                    household=household or "",
                    education=education or "",
                ),
                today=today,
            )
        except ValidationError as exc:
            outcome.field_errors(row.number, exc, self.headers)
            clean = None
        union = unions.get(row.get("union_code").strip())
        if union is None:
            outcome.error(
                row.number,
                self.headers["union_code"],
                _("工会编码 %(c)s 不存在或不在您的管理范围内。")
                % {"c": row.get("union_code") or "（空）"},
            )
        joined_on = today
        if row.get("joined_on"):
            try:
                joined_on = imports.parse_date(row.get("joined_on"))
            except ValidationError as exc:
                outcome.error(row.number, self.headers["joined_on"], exc.messages[0])
        if clean is None or union is None or outcome.error_total > errors_before:
            return None
        for key, message in services.membership_problems(
            birth_date=clean.birth_date, union=union, joined_on=joined_on, today=today
        ).items():
            outcome.error(row.number, self.headers.get(key, ""), message)
        for key, digest, header in (
            ("id", clean.id_hash, "id_number"),
            ("mobile", clean.mobile_hash, "mobile"),
        ):
            if digest is None:
                continue
            fingerprint = int(digest[:16], 16) ^ (0 if key == "id" else 1)
            first = seen.get(fingerprint)
            if first is not None:
                outcome.error(
                    row.number,
                    self.headers[header],
                    _("与第 %(r)s 行重复。") % {"r": first},
                )
            else:
                seen[fingerprint] = row.number
        if outcome.error_total > errors_before:
            return None
        return Prepared(row.number, clean, union, joined_on)

    def _classify(
        self, chunk: list[Prepared], outcome: Outcome, scope: set[int]
    ) -> list[tuple[Prepared, int | None]]:
        """Against the database: (row, existing person id or None) for rows to write. Three
        queries a chunk, whatever its size (see ``selectors.people_by_hashes``)."""
        people, mobiles, active = selectors.people_by_hashes(
            id_hashes=[p.clean.id_hash for p in chunk],
            mobile_hashes=[p.clean.mobile_hash for p in chunk if p.clean.mobile_hash],
        )
        result: list[tuple[Prepared, int | None]] = []
        for item in chunk:
            person = people.get(item.clean.id_hash)
            mobile_owner = mobiles.get(item.clean.mobile_hash) if item.clean.mobile_hash else None
            if person is None:
                if mobile_owner is not None:
                    outcome.error(
                        item.row, self.headers["mobile"], _("该手机号已被其他职工登记使用。")
                    )
                    continue
                outcome.count("new_people")
                result.append((item, None))
                continue
            if person[1] != item.clean.name:
                outcome.error(
                    item.row,
                    self.headers["name"],
                    _("该身份证号已登记的姓名与表中不一致，请核对。"),
                )
                continue
            if item.clean.mobile_hash and item.clean.mobile_hash != person[2]:
                outcome.error(
                    item.row,
                    self.headers["mobile"],
                    _("此人已登记的手机号与表中不同；如需更改，请在会员页面修改。"),
                )
                continue
            held = active.get(person[0])
            if held is not None:
                if held[0] == item.union.pk:
                    outcome.count("unchanged")
                else:
                    outcome.error(
                        item.row,
                        self.headers["id_number"],
                        services.active_membership_problem(
                            held[0], held[1], item.union, name_it=held[0] in scope
                        ),
                    )
                continue
            outcome.count("existing_people")
            result.append((item, person[0]))
        return result

    def _chunks(
        self, actor: Any, rows: Iterator[Row], outcome: Outcome, progress: Progress
    ) -> Iterator[list[tuple[Prepared, int | None]]]:
        unions = self._unions(actor)
        scope = {union.pk for union in unions.values()}
        seen: dict[int, int] = {}
        today = validators.today()
        done = 0
        while True:
            batch = list(islice(rows, CHUNK))
            if not batch:
                return
            prepared = [
                p
                for p in (self._prepare(r, unions, seen, outcome, today) for r in batch)
                if p is not None
            ]
            yield self._classify(prepared, outcome, scope) if prepared else []
            done += len(batch)
            progress(done)

    def check(
        self, *, actor: Any, rows: Iterator[Row], progress: Progress, stage: imports.Stage
    ) -> Outcome:
        """Validate every row; while no error is found, stage each chunk as it will be stored
        (sealed, hashed, with the union's id) so the commit does not validate again."""
        outcome = Outcome()
        for chunk in self._chunks(actor, rows, outcome, progress):
            if outcome.error_total or not chunk:
                continue  # keep reading to report every bad row; nothing will be staged
            stage.write(
                [
                    (
                        item.row,
                        person_id,
                        c.name,
                        seal(c.id_number, purpose=ID_NUMBER_PURPOSE) if person_id is None else None,
                        c.id_hash,
                        seal(c.mobile, purpose=MOBILE_PURPOSE)
                        if c.mobile and person_id is None
                        else None,
                        c.mobile_hash,
                        c.birth_date,
                        c.sex,
                        c.household,
                        c.education,
                        item.union.pk,
                        item.union.path,
                        item.joined_on,
                    )
                    for item, person_id in chunk
                    for c in (item.clean,)
                ]
            )
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
        """Write the staged chunks: people who are new, then every membership. Each row
        records the import and its row number as its creation record (``core.history``), in
        place of a history row per record: half the writes for a city-sized roll. Must run
        inside the import's transaction; a person registered by someone else since the dry run
        trips a unique index and rolls it all back."""
        outcome = Outcome()
        if staged is None:
            outcome.error(0, "", _("校验结果已失效，请重新上传校验。"))
            return outcome
        now = timezone.now()
        done = 0
        # The stage was written by the dry run; the unions must still be this actor's, and
        # still in place.
        unions = dict(
            Organization.objects.visible_to(actor)
            .filter(kind=OrgKind.GRASSROOTS)
            .values_list("pk", "is_active")
        )
        for chunk in staged:
            for row in chunk:
                if row[11] not in unions:
                    outcome.error(
                        row[0], self.headers["union_code"], _("该工会不在您的管理范围内。")
                    )
                elif not unions[row[11]]:
                    outcome.error(
                        row[0],
                        self.headers["union_code"],
                        _("该工会已在校验后撤销，请改填其他工会编码后重新上传。"),
                    )
            if outcome.error_total:
                continue
            new = [row for row in chunk if row[1] is None]
            person_ids = iter(bulk.allocate_ids(Person, len(new)))
            person_rows = []
            membership_people = []
            for row in chunk:
                person_id = row[1]
                if person_id is None:
                    person_id = next(person_ids)
                    person_rows.append((person_id, *row[2:11], None, now, job.pk, row[0]))
                    outcome.count("new_people")
                else:
                    outcome.count("existing_people")
                membership_people.append((person_id, row[11], row[13], row[0]))
            bulk.insert_rows(Person, PERSON_COLUMNS, person_rows)
            cards = services.card_numbers(path=chunk[0][12], count=len(chunk))
            membership_ids = bulk.allocate_ids(Membership, len(chunk))
            membership_rows = [
                (
                    membership_id,
                    person_id,
                    union_id,
                    card,
                    joined_on,
                    MembershipStatus.ACTIVE.value,
                    None,
                    "",
                    "",
                    None,
                    now,
                    job.pk,
                    source_row,
                )
                for membership_id, card, (person_id, union_id, joined_on, source_row) in zip(
                    membership_ids, cards, membership_people, strict=True
                )
            ]
            bulk.insert_rows(Membership, MEMBERSHIP_COLUMNS, membership_rows)
            done += len(chunk)
            progress(done)
        if job.summary.get("unchanged"):
            outcome.count("unchanged", job.summary["unchanged"])
        # Rows written in bulk send no model signals: tell the list totals ourselves.
        transaction.on_commit(lambda: counts.bump("members"), robust=True)
        return outcome


imports.register(MemberImporter())
