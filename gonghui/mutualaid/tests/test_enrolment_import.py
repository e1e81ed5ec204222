"""The enrolment import (MMA-2 point 3, bad input of point 13)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.core import imports
from gonghui.members.models import Membership, MembershipStatus, Person
from gonghui.mutualaid.models import Bill, Enrolment, EnrolmentStatus
from gonghui.mutualaid.services import enrolment as services
from gonghui.mutualaid.tests.enrol_helpers import ENROL_HEADER, period, row
from gonghui.testing.factories import new_id_number
from gonghui.testing.sheets import csv_upload, xlsx_upload

pytestmark = pytest.mark.django_db


def upload(world, rows, *, kind="mutualaid.enrol", actor=None, xlsx=False):
    actor = actor or world.staff("town_a", "clerk")
    make = xlsx_upload if xlsx else csv_upload
    return imports.import_job_create(
        actor=actor, kind=kind, upload=make(rows, header=ENROL_HEADER)
    ), actor


def test_dry_run_then_commit_enrols_and_bills_the_union(world):
    p = period(world)
    members = [world.member("union_a") for _ in range(3)] + [world.member("union_a2")]
    job, actor = upload(world, [row(m) for m in members], xlsx=True)
    imports.run_check(job, actor)
    assert job.status == "checked", job.errors
    assert not Enrolment.unscoped.exists()  # the dry run writes nothing
    imports.run_commit(job, actor)
    assert job.status == "done", (job.message, job.errors)
    assert job.summary["enrolled"] == 4
    assert Enrolment.unscoped.filter(period=p, status=EnrolmentStatus.BILLED).count() == 4
    bills = {b.union_id: b for b in Bill.unscoped.filter(period=p)}
    assert bills[world.union_a.pk].people == 3
    assert str(bills[world.union_a.pk].amount) == "108.00"
    assert bills[world.union_a2.pk].people == 1
    e = Enrolment.unscoped.filter(person=members[0].person).get()
    assert (e.source_import_id, e.source_row, e.channel) == (job.pk, 2, "import")


def test_every_bad_row_is_listed_with_its_row_number_and_nothing_is_enrolled(world):
    p = period(world)
    good = world.member("union_a")
    enrolled = world.member("union_a")
    elsewhere = world.member("union_b")  # enrolled by another union, out of this clerk's scope
    other_union = world.member("union_a2")
    services.enrol_people(
        actor=world.staff("city", "admin"),
        period=p,
        enrollees=[[services.Enrollee(enrolled.person_id, enrolled.union_id)]],
    )
    services.enrol_people(
        actor=world.staff("city", "admin"),
        period=p,
        enrollees=[[services.Enrollee(elsewhere.person_id, elsewhere.union_id)]],
    )
    valid = new_id_number()
    bad_id = valid[:17] + ("0" if valid[-1] != "0" else "1")  # a wrong check digit
    rows = [
        row(good),  # 2: fine
        ["王五", bad_id, "UNION_a", "", ""],  # 3
        ["赵六", new_id_number(), "UNION_a", "", ""],  # 4: not on the roll
        row(enrolled),  # 5: enrolled already by this union
        row(good),  # 6: twice in the file
        row(other_union, union="UNION_a"),  # 7: a member of another union
        row(good, name="<script>alert(1)</script>"),  # 8: HTML
        row(good, union="UNION_b"),  # 9: a union out of scope
        row(good, period="99"),  # 10: no such period
    ]
    job, actor = upload(world, rows)
    imports.run_check(job, actor)
    assert job.status == "failed"
    by_row = {e["row"]: e["message"] for e in job.errors}
    assert 2 not in by_row
    assert "身份证号" in by_row[3]
    assert "不在会员名册" in by_row[4]
    assert "本工会" in by_row[5] and "重复参保" in by_row[5]
    assert "与第 2 行重复" in by_row[6]
    assert "其他工会" in by_row[7] or "会员" in by_row[7]
    assert "HTML" in by_row[8]
    assert "不在您的管理范围" in by_row[9]
    assert "期数 99 不存在" in by_row[10]
    assert Enrolment.unscoped.count() == 2
    # The other union's enrolment is reported without naming it.
    job2, _ = upload(world, [row(elsewhere, union="UNION_b")], actor=world.staff("city", "clerk"))
    imports.run_check(job2, world.staff("city", "clerk"))
    assert "已由本工会" in job2.errors[0]["message"]


def test_a_person_enrolled_by_another_union_is_reported_not_enrolled_twice(world):
    p = period(world)
    member = world.member("union_a")
    services.enrol_people(
        actor=world.staff("city", "admin"),
        period=p,
        enrollees=[[services.Enrollee(member.person_id, world.union_a2.pk)]],
    )
    job, actor = upload(world, [row(member)])
    imports.run_check(job, actor)
    assert "已由其他工会" in job.errors[0]["message"]
    # And the database refuses a second live enrolment whatever path is taken.
    with pytest.raises(Exception):  # noqa: B017,PT011 (IntegrityError, wrapped by the atomic block)
        services.enrol_people(
            actor=world.staff("city", "admin"),
            period=p,
            enrollees=[[services.Enrollee(member.person_id, member.union_id)]],
        )
    assert Enrolment.unscoped.filter(person=member.person).count() == 1


def test_direct_import_is_one_pass_and_rolls_back_whole_on_a_bad_row(world):
    period(world)
    members = [world.member("union_a") for _ in range(5)]
    job, actor = upload(world, [row(m) for m in members] + [["钱七", new_id_number(), "UNION_a"]])
    imports.run_direct(job, actor)
    assert job.status == "failed"
    assert [e["row"] for e in job.errors] == [7]
    assert "已全部撤销" in job.message
    assert not Enrolment.unscoped.exists() and not Bill.unscoped.exists()
    job, actor = upload(world, [row(m) for m in members])
    imports.run_direct(job, actor)
    assert job.status == "done", job.errors
    assert Enrolment.unscoped.count() == 5


def test_register_option_puts_new_people_on_the_roll_and_enrols_them(world):
    p = period(world)
    member = world.member("union_a")
    number = new_id_number()
    rows = [row(member), ["孙八", number, "UNION_a", str(p.number), "13912345678"]]
    job, actor = upload(world, rows, kind="mutualaid.enrol_register")
    imports.run_direct(job, actor)
    assert job.status == "done", job.errors
    assert job.summary["registered"] == 1 and job.summary["enrolled"] == 1
    person = Person.unscoped.get(name="孙八")
    assert person.id_number.reveal() == number
    assert Membership.unscoped.get(person=person).status == MembershipStatus.ACTIVE
    assert Enrolment.unscoped.filter(person=person, period=p).exists()


def test_closed_window_and_malformed_or_oversize_files_are_refused(world, settings):
    p = period(world)
    p.enrol_closes_on = p.enrol_opens_on
    p.save()
    member = world.member("union_a")
    job, actor = upload(world, [row(member)])
    imports.run_check(job, actor)
    assert "不在登记期内" in job.errors[0]["message"] or "没有正在登记" in job.errors[0]["message"]
    actor = world.staff("town_a", "clerk")
    with pytest.raises(ValidationError, match="Excel|xlsx"):
        imports.import_job_create(
            actor=actor,
            kind="mutualaid.enrol",
            upload=SimpleUploadedFile("参保.xlsx", b"not a workbook at all"),
        )
    with pytest.raises(ValidationError, match="缺少必填列"):
        imports.import_job_create(
            actor=actor, kind="mutualaid.enrol", upload=csv_upload([["x"]], header=["姓名"])
        )
    settings.GONGHUI_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="不能超过"):
        imports.import_job_create(
            actor=actor,
            kind="mutualaid.enrol",
            upload=csv_upload([row(member)] * 10, header=ENROL_HEADER),
        )
    assert not Enrolment.unscoped.exists()
