"""Enrolling a union's staff in medical mutual aid from a spreadsheet (MMA-2, PLT-3).

Two kinds in the import pipeline: ``mutualaid.enrol`` refuses a person not on the member
roll, with the reason; ``mutualaid.enrol_register`` registers them (as the member import
would: a person and an active membership of the row's union) and enrols them. Rows are
matched to people by the keyed hash of their ID number (``members.Person.id_number_hash``).
A person already enrolled in the period, by this union or another, is reported, never
enrolled twice (the partial unique index holds even against a concurrent import).

One pass: the same code validates and writes. The dry run runs it writing nothing; the
commit runs it writing each chunk while no row has been found bad (it keeps reading to list
every bad row, and the pipeline rolls the whole transaction back then). So a union may look
first (dry run, then commit: two passes) or import directly (``imports.run_direct``: one
pass, nothing written when any row is bad). Memory stays flat: a chunk of rows at a time,
and a 64-bit fingerprint per ID number for the in-file duplicate check.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import bulk, counts, imports, validators
from gonghui.core.crypto import blind_index, seal
from gonghui.core.imports import ImportColumn, Outcome, Progress, Row
from gonghui.core.models import ImportJob
from gonghui.core.text import StrOrPromise
from gonghui.members import selectors as member_selectors
from gonghui.members import services as member_services
from gonghui.members.importers import MEMBERSHIP_COLUMNS, PERSON_COLUMNS
from gonghui.members.models import ID_NUMBER_PURPOSE, MOBILE_PURPOSE, Membership, Person
from gonghui.mutualaid.models import EnrolChannel, Period, PeriodStatus
from gonghui.mutualaid.services import enrolment as services
from gonghui.organizations.models import Organization, OrgKind

CHUNK = 5000


@dataclass
class Checked:
    row: int
    name: str
    id_number: str
    id_hash: str
    union: Organization
    period: Period
    mobile: str


@dataclass
class NewPerson:
    """A row whose person is registered by the import (``enrol_register``)."""

    clean: member_services.CleanPerson
    person_id: int | None  # on the roll but not an active member any more: a new membership


class EnrolmentRun:
    """One pass over the rows: validation, and (``write``) the writes, chunk by chunk."""

    def __init__(
        self,
        *,
        actor: Any,
        register: bool,
        headers: dict[str, str],
        today: datetime.date | None = None,
        check_window: bool = True,
        periods: list[Period] | None = None,
    ) -> None:
        self.actor = actor
        self.register = register
        self.headers = headers
        self.today = today or validators.today()
        self.check_window = check_window
        self.unions = {
            org.code: org
            for org in Organization.objects.visible_to(actor)
            .filter(kind=OrgKind.GRASSROOTS)
            .only("id", "code", "name", "kind", "is_active", "path")
        }
        self.scope = {org.pk for org in self.unions.values()}
        if periods is None:
            from gonghui.mutualaid.selectors.enrolment import enrolment_periods

            periods = list(enrolment_periods(actor=actor))
        self.periods = {str(p.number): p for p in periods}
        self.open_periods = [
            p
            for p in periods
            if p.status == PeriodStatus.OPEN and p.enrol_opens_on <= self.today <= p.enrol_closes_on
        ]
        self.seen: dict[int, int] = {}

    # --- one row ------------------------------------------------------------------------------

    def _period(self, row: Row, outcome: Outcome) -> Period | None:
        text = row.get("period").strip().removeprefix("第").removesuffix("期")
        if not text:
            if len(self.open_periods) == 1:
                return self.open_periods[0]
            outcome.error(
                row.number,
                self.headers["period"],
                _("现在没有正在登记的互助保障期，请填写期数。")
                if not self.open_periods
                else _("有多个互助保障期正在登记，请填写期数。"),
            )
            return None
        period = self.periods.get(text)
        if period is None:
            outcome.error(
                row.number,
                self.headers["period"],
                _("期数 %(p)s 不存在，请填写正在登记的期数（如 4）。") % {"p": row.get("period")},
            )
            return None
        if self.check_window:
            problem = services.enrol_problem(period, self.today)
            if problem:
                outcome.error(row.number, self.headers["period"], problem)
                return None
        return period

    def check_row(self, row: Row, outcome: Outcome) -> Checked | None:
        before = outcome.error_total
        name = row.get("name")
        try:
            validators.check_plain_text(name)
            if not name:
                raise ValidationError(_("请填写姓名。"))
        except ValidationError as exc:
            outcome.error(row.number, self.headers["name"], exc.messages[0])
        number = ""
        try:
            number = validators.normalize_id_number(row.get("id_number"), on=self.today)
        except ValidationError as exc:
            outcome.error(row.number, self.headers["id_number"], exc.messages[0])
        union = self.unions.get(row.get("union_code").strip())
        if union is None:
            outcome.error(
                row.number,
                self.headers["union_code"],
                _("工会编码 %(c)s 不存在或不在您的管理范围内。")
                % {"c": row.get("union_code") or _("（空）")},
            )
        elif not union.is_active:
            outcome.error(row.number, self.headers["union_code"], _("该工会已撤销。"))
        period = self._period(row, outcome)
        if outcome.error_total > before or union is None or period is None:
            return None
        digest = blind_index(number, purpose=ID_NUMBER_PURPOSE)
        fingerprint = int(digest[:16], 16) ^ period.pk
        first = self.seen.get(fingerprint)
        if first is not None:
            outcome.error(
                row.number,
                self.headers["id_number"],
                _("与第 %(r)s 行重复：同一人在同一期只能参保一次。") % {"r": first},
            )
            return None
        self.seen[fingerprint] = row.number
        return Checked(row.number, name, number, digest, union, period, row.get("mobile").strip())

    # --- one chunk, against the database ------------------------------------------------------

    def classify(
        self, chunk: list[Checked], outcome: Outcome
    ) -> tuple[list[tuple[Checked, int]], list[tuple[Checked, NewPerson]]]:
        """(rows of people on the roll to enrol, rows of people to register and enrol)."""
        people, _mobiles, active = member_selectors.people_by_hashes(
            id_hashes=[c.id_hash for c in chunk], mobile_hashes=[]
        )
        by_period: dict[int, list[int]] = {}
        for item in chunk:
            found = people.get(item.id_hash)
            if found is not None:
                by_period.setdefault(item.period.pk, []).append(found[0])
        enrolled: dict[tuple[int, int], int] = {}
        for period_id, ids in by_period.items():
            for person_id, union_id in services.enrolled_already(period_id, ids).items():
                enrolled[(period_id, person_id)] = union_id
        known: list[tuple[Checked, int]] = []
        new: list[tuple[Checked, NewPerson]] = []
        for item in chunk:
            found = people.get(item.id_hash)
            if found is None:
                if not self.register:
                    outcome.error(
                        item.row,
                        self.headers["id_number"],
                        _(
                            "此人不在会员名册中，不能参保。请先办理入会，或选择"
                            "“参保并登记入会”方式导入。"
                        ),
                    )
                    continue
                registered = self._register(item, None, outcome)
                if registered is not None:
                    new.append((item, registered))
                continue
            person_id, name, _mobile = found
            if name != item.name:
                outcome.error(
                    item.row,
                    self.headers["name"],
                    _("该身份证号已登记的姓名与表中不一致，请核对。"),
                )
                continue
            held_union = enrolled.get((item.period.pk, person_id))
            if held_union is not None:
                outcome.error(
                    item.row,
                    self.headers["id_number"],
                    _("此人已由本工会在%(p)s参保，不能重复参保。") % {"p": item.period.name}
                    if held_union == item.union.pk
                    else _("此人已由其他工会在%(p)s参保，不能重复参保。") % {"p": item.period.name},
                )
                continue
            membership = active.get(person_id)
            if membership is None:
                if not self.register:
                    outcome.error(
                        item.row,
                        self.headers["id_number"],
                        _("此人已不是在册会员，不能参保。请先办理入会。"),
                    )
                    continue
                registered = self._register(item, person_id, outcome)
                if registered is not None:
                    new.append((item, registered))
                continue
            if membership[0] != item.union.pk:
                outcome.error(
                    item.row,
                    self.headers["union_code"],
                    member_services.active_membership_problem(
                        membership[0],
                        membership[1],
                        item.union,
                        name_it=membership[0] in self.scope,
                    ).replace(_("请办理会员转接。"), _("应由其所在工会为其参保。")),
                )
                continue
            known.append((item, person_id))
        return known, new

    def _register(self, item: Checked, person_id: int | None, outcome: Outcome) -> NewPerson | None:
        try:
            clean = member_services.person_clean(
                member_services.PersonInput(
                    name=item.name, id_number=item.id_number, mobile=item.mobile
                ),
                today=self.today,
            )
        except ValidationError as exc:
            outcome.field_errors(item.row, exc, self.headers)
            return None
        problems = member_services.membership_problems(
            birth_date=clean.birth_date, union=item.union, joined_on=self.today, today=self.today
        )
        for key, message in problems.items():
            outcome.error(item.row, self.headers.get(key, self.headers["id_number"]), message)
        if problems:
            return None
        if clean.mobile_hash and person_id is None:
            # A mobile already used by someone else would trip its unique index: refused here.
            _people, mobiles, _active = member_selectors.people_by_hashes(
                id_hashes=[], mobile_hashes=[clean.mobile_hash]
            )
            if mobiles:
                outcome.error(item.row, self.headers["mobile"], _("该手机号已被其他职工登记使用。"))
                return None
        return NewPerson(clean, person_id)

    # --- writing --------------------------------------------------------------------------------

    def write_new_people(
        self, new: list[tuple[Checked, NewPerson]], job: ImportJob | None, now: datetime.datetime
    ) -> list[tuple[Checked, int]]:
        """Register the new people (person and membership, as the member import writes them)."""
        if not new:
            return []
        fresh = [n for _item, n in new if n.person_id is None]
        ids = iter(bulk.allocate_ids(Person, len(fresh)))
        job_id = job.pk if job is not None else None
        person_rows = []
        enrol: list[tuple[Checked, int]] = []
        membership_people = []
        for item, registered in new:
            person_id = registered.person_id
            c = registered.clean
            if person_id is None:
                person_id = next(ids)
                person_rows.append(
                    (
                        person_id,
                        c.name,
                        seal(c.id_number, purpose=ID_NUMBER_PURPOSE),
                        c.id_hash,
                        seal(c.mobile, purpose=MOBILE_PURPOSE) if c.mobile else None,
                        c.mobile_hash,
                        c.birth_date,
                        c.sex,
                        c.household,
                        c.education,
                        None,
                        now,
                        job_id,
                        item.row,
                    )
                )
            membership_people.append((person_id, item.union, item.row))
            enrol.append((item, person_id))
        bulk.insert_rows(Person, PERSON_COLUMNS, person_rows)
        by_root: dict[str, list[tuple[int, Organization, int]]] = {}
        for entry in membership_people:
            by_root.setdefault(entry[1].path.strip("/").split("/")[0], []).append(entry)
        for entries in by_root.values():
            cards = member_services.card_numbers(path=entries[0][1].path, count=len(entries))
            membership_ids = bulk.allocate_ids(Membership, len(entries))
            bulk.insert_rows(
                Membership,
                MEMBERSHIP_COLUMNS,
                [
                    (mid, pid, union.pk, card, self.today, "active", None, "", "", None, now)
                    + (job_id, row)
                    for mid, card, (pid, union, row) in zip(
                        membership_ids, cards, entries, strict=True
                    )
                ],
            )
        return enrol

    def run(
        self,
        rows: Iterator[Row],
        outcome: Outcome,
        progress: Progress,
        *,
        writer: services.BulkEnrolment | None,
        job: ImportJob | None = None,
    ) -> None:
        done = 0
        now = timezone.now()
        while True:
            batch = list(islice(rows, CHUNK))
            if not batch:
                break
            checked = [c for c in (self.check_row(r, outcome) for r in batch) if c is not None]
            known, new = self.classify(checked, outcome) if checked else ([], [])
            outcome.count("enrolled", len(known))
            outcome.count("registered", len(new))
            if writer is not None and not outcome.error_total:
                enrol = known + self.write_new_people(new, job, now)
                by_period: dict[int, tuple[Period, list[services.Enrollee]]] = {}
                for item, person_id in enrol:
                    by_period.setdefault(item.period.pk, (item.period, []))[1].append(
                        services.Enrollee(person_id, item.union.pk, item.row)
                    )
                for period, items in by_period.values():
                    writer.add(period, items)
            done += len(batch)
            progress(done)


class EnrolmentImporter:
    kind = "mutualaid.enrol"
    label: StrOrPromise = gettext_lazy("互助保障参保")
    register = False
    # ``imports.run_direct`` may validate and write in one pass (the commit re-validates).
    one_pass = True
    columns = [
        ImportColumn("name", "姓名", True, "张三"),
        ImportColumn("id_number", "身份证号", True, "330402199001011230", "18 位，末位可为 X"),
        ImportColumn("union_code", "工会编码", True, "G0000001", "见“工会编码”工作表"),
        ImportColumn("period", "期数", False, "4", "留空为正在登记的一期"),
        ImportColumn("mobile", "手机号", False, "13800000000", "仅登记入会时使用，可留空"),
    ]
    count_labels: dict[str, StrOrPromise] = {
        "enrolled": gettext_lazy("会员参保"),
        "registered": gettext_lazy("登记入会并参保"),
        "bills": gettext_lazy("生成缴费通知单"),
    }

    def __init__(self) -> None:
        self.headers = {c.key: c.header for c in self.columns}
        self.headers["union"] = self.headers["union_code"]

    def reference_sheets(self, *, actor: Any) -> list[tuple[str, list[str], list[list[Any]]]]:
        from gonghui.mutualaid.selectors.enrolment import enrolment_periods

        unions = (
            Organization.objects.visible_to(actor)
            .filter(kind=OrgKind.GRASSROOTS, is_active=True)
            .order_by("path")
        )
        return [
            ("工会编码", ["工会编码", "工会名称"], [[u.code, u.name] for u in unions]),
            (
                "互助保障期",
                ["期数", "名称", "登记开始", "登记截止", "每人缴费（元）"],
                [
                    [p.number, p.name, p.enrol_opens_on, p.enrol_closes_on, p.fee]
                    for p in enrolment_periods(actor=actor)
                ],
            ),
        ]

    def _run(self, actor: Any) -> EnrolmentRun:
        return EnrolmentRun(actor=actor, register=self.register, headers=self.headers)

    def check(
        self, *, actor: Any, rows: Iterator[Row], progress: Progress, stage: imports.Stage
    ) -> Outcome:
        """The dry run: every row validated against the roll and the period; nothing staged
        (the commit validates as it writes, in the same pass)."""
        outcome = Outcome()
        self._run(actor).run(rows, outcome, progress, writer=None)
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
        """Validate and write in one pass, inside the import's transaction; any bad row
        leaves errors in the outcome and the pipeline rolls everything back."""
        outcome = Outcome()
        writer = services.BulkEnrolment(actor=actor, channel=EnrolChannel.IMPORT, job=job)
        self._run(actor).run(rows, outcome, progress, writer=writer, job=job)
        if not outcome.error_total:
            bills = writer.finish()
            outcome.count("bills", len(bills))
            if outcome.counts.get("registered"):
                transaction.on_commit(lambda: counts.bump("members"), robust=True)
        return outcome


class RegisteringEnrolmentImporter(EnrolmentImporter):
    kind = "mutualaid.enrol_register"
    label: StrOrPromise = gettext_lazy("互助保障参保（未入会者同时登记入会）")
    register = True


imports.register(EnrolmentImporter())
imports.register(RegisteringEnrolmentImporter())
