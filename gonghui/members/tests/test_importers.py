import datetime

import pytest
from django.utils import timezone

from gonghui.core import imports
from gonghui.core.history import history_of
from gonghui.members.models import Membership, MembershipStatus, Person
from gonghui.members.services import card_number_valid
from gonghui.testing.factories import new_id_number, new_mobile
from gonghui.testing.sheets import csv_upload, xlsx_upload

pytestmark = pytest.mark.django_db


def run(world, upload, actor=None):
    actor = actor or world.staff("city", "clerk")
    job = imports.import_job_create(actor=actor, kind="members", upload=upload)
    imports.run_check(job, actor)
    if job.status == "checked":
        imports.run_commit(job, actor)
    return job


def good_row(union="UNION_a", **kw):
    row = {
        "name": "李四",
        "id": new_id_number(),
        "mobile": new_mobile(),
        "union": union,
        "joined": "2023-05-01",
        "household": "农村户籍",
        "education": "高中、中专",
    }
    row.update(kw)
    return [
        row["name"],
        row["id"],
        row["mobile"],
        row["union"],
        row["joined"],
        row["household"],
        row["education"],
    ]


def test_good_file_imports_people_memberships_and_history(world):
    rows = [good_row() for _ in range(30)] + [good_row("UNION_b", mobile="") for _ in range(5)]
    job = run(world, xlsx_upload(rows))
    assert job.status == "done", job.errors
    assert job.summary == {"new_people": 35}
    members = Membership.unscoped.filter(status=MembershipStatus.ACTIVE)
    assert members.count() == 35
    assert members.filter(union=world.union_b).count() == 5
    assert all(card_number_valid(m.card_number) for m in members)
    assert len({m.card_number for m in members}) == 35
    person = Person.unscoped.get(
        id_number_hash__isnull=False,
        memberships__union=world.union_b,
        pk=members.filter(union=world.union_b).first().person_id,
    )
    assert person.mobile is None
    assert person.household == "rural"
    sample = Person.unscoped.order_by("pk").first()
    assert sample.id_number.reveal() == rows[0][1]
    assert sample.mobile.reveal() == rows[0][2]
    assert (sample.source_import_id, sample.source_row) == (job.pk, 2)
    # The import is the creation record: who, when, which file and row.
    created = history_of(sample)
    assert [e.kind for e in created] == ["+"]
    assert created[0].user == str(world.staff("city", "clerk"))
    assert f"#{job.pk}" in created[0].reason and "第 2 行" in created[0].reason


def test_first_change_to_an_imported_record_keeps_its_state_as_imported(world):
    from gonghui.members import services

    row = good_row(household="城镇户籍")
    run(world, csv_upload([row]))
    person = Person.unscoped.get()
    services.person_update(
        actor=world.staff("town_a", "clerk"),
        person=person,
        data=services.PersonInput(
            name=person.name,
            id_number=row[1],
            mobile=row[2],
            household="rural",
            education=person.education,
        ),
    )
    entries = history_of(person)
    assert [e.kind for e in entries] == ["~", "+"]
    assert entries[0].user == str(world.staff("town_a", "clerk"))
    assert [(c.field, c.old, c.new) for c in entries[0].changes] == [
        ("户籍类型", "城镇户籍", "农村户籍")
    ]
    assert entries[1].user == str(world.staff("city", "clerk"))


def test_dry_run_lists_every_bad_row_and_commits_nothing(world):
    existing = world.member("union_a")
    duplicate = new_id_number()
    rows = [
        good_row(),  # 2 fine
        good_row(id="330402199001011235"),  # 3 checksum
        good_row(id="33040219900230123X"),  # 4 bad date/checksum
        good_row(mobile="12345"),  # 5 mobile
        good_row(union="NOPE"),  # 6 unknown union
        good_row(id=duplicate),  # 7 fine
        good_row(id=duplicate),  # 8 duplicate of 7
        good_row(name="<script>x</script>"),  # 9 markup
        good_row(
            name=existing.person.name,
            id=existing.person.id_number.reveal(),
            mobile="",
            union="UNION_b",
        ),  # 10
        good_row(joined="2023-13-45"),  # 11 date
        good_row(
            id=new_id_number(
                birth=timezone.localdate().replace(year=timezone.localdate().year - 10)
            )
        ),  # 12 child
        good_row(household="海外"),  # 13
    ]
    job = run(world, csv_upload(rows))
    assert job.status == "failed"
    rows_with_errors = sorted({e["row"] for e in job.errors})
    assert rows_with_errors == [3, 4, 5, 6, 8, 9, 10, 11, 12, 13]
    by_row = {e["row"]: e for e in job.errors}
    assert by_row[3]["column"] == "身份证号" and "校验位" in by_row[3]["message"]
    assert by_row[5]["column"] == "手机号"
    assert by_row[6]["column"] == "工会编码" and "NOPE" in by_row[6]["message"]
    assert by_row[8]["message"] == "与第 7 行重复。"
    assert "HTML" in by_row[9]["message"]
    assert "会员转接" in by_row[10]["message"]
    assert by_row[11]["column"] == "入会日期"
    assert "16 周岁" in by_row[12]["message"]
    assert by_row[13]["column"] == "户籍类型"
    assert "10" in job.message or "处错误" in job.message
    assert Person.unscoped.count() == 1  # only the member made before


def test_rerunning_the_same_file_changes_nothing(world):
    rows = [good_row() for _ in range(3)]
    assert run(world, csv_upload(rows)).status == "done"
    again = run(world, csv_upload(rows))
    assert again.status == "done"
    assert again.summary == {"unchanged": 3}
    assert Membership.unscoped.count() == 3


def test_people_without_membership_join_again(world):
    from gonghui.members import services

    membership = world.member("union_a")
    services.membership_end(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        reason="job_ended",
        ended_on=timezone.localdate(),
    )
    person = membership.person
    row = good_row(name=person.name, id=person.id_number.reveal(), mobile="", union="UNION_b")
    job = run(world, csv_upload([row]))
    assert job.summary == {"existing_people": 1}
    assert Membership.unscoped.get(person=person, status="active").union == world.union_b


def test_a_union_outside_the_scope_is_unknown(world):
    job = run(world, csv_upload([good_row("UNION_b")]), actor=world.staff("town_a", "clerk"))
    assert job.status == "failed"
    assert "不在您的管理范围内" in job.errors[0]["message"]


def test_changes_since_the_dry_run_roll_the_commit_back(world):
    rows = [good_row() for _ in range(3)]
    actor = world.staff("city", "clerk")
    job = imports.import_job_create(actor=actor, kind="members", upload=csv_upload(rows))
    imports.run_check(job, actor)
    assert job.status == "checked"
    # Between the dry run and the commit, someone enrols the third person elsewhere.
    from gonghui.members import services
    from gonghui.testing.factories import PersonInputFactory

    services.member_add(
        actor=world.staff("town_b", "clerk"),
        union=world.union_b,
        data=PersonInputFactory(name=rows[2][0], id_number=rows[2][1], mobile=rows[2][2]),
        joined_on=datetime.date(2022, 1, 1),
    )
    imports.run_commit(job, actor)
    assert job.status == "failed"
    assert "已全部撤销" in job.message and "重新上传校验" in job.message
    assert Person.unscoped.count() == 1
    # Checking the file again names the row.
    again = imports.import_job_create(actor=actor, kind="members", upload=csv_upload(rows))
    imports.run_check(again, actor)
    assert [e["row"] for e in again.errors] == [4]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cache_outage_at_commit_does_not_turn_a_done_import_into_a_failure(monkeypatch):
    """The rows are committed; the count bump after commit fails (Redis down): the job must
    still say what happened to the data (issue 11, point 2)."""
    from django.core.cache import cache

    from gonghui.testing.world import build_world

    world = build_world()

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    rows = [good_row() for _ in range(3)]
    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(cache, "incr", down)
    job = run(world, csv_upload(rows))
    assert job.status == "done", job.message
    assert Person.unscoped.filter(name="李四").count() == 3
