"""Defects a correctness review found, kept found."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gonghui.core import imports
from gonghui.members import services
from gonghui.members.models import Membership
from gonghui.organizations import services as org_services
from gonghui.organizations.models import OrgKind
from gonghui.testing.factories import new_credit_code, new_id_number
from gonghui.testing.sheets import csv_upload
from gonghui.unionbuilding import selectors as building_selectors
from gonghui.unionbuilding import services as building_services

pytestmark = pytest.mark.django_db


def test_leaving_does_not_overwrite_a_transfer_accepted_meanwhile(world):
    membership = world.member("union_a")
    stale = Membership.unscoped.get(pk=membership.pk)  # the clerk's page loaded it
    transfer = services.transfer_request(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        to_union=world.union_b,
        reason="x",
    )
    services.transfer_decide(actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True)
    with pytest.raises(ValidationError, match="已终止"):
        services.membership_end(
            actor=world.staff("town_a", "clerk"),
            membership=stale,
            reason="retired",
            ended_on=timezone.localdate(),
        )
    assert Membership.unscoped.get(pk=membership.pk).status == "transferred"
    with pytest.raises(ValidationError, match="在册会籍"):
        services.transfer_request(
            actor=world.staff("town_a", "clerk"),
            membership=stale,
            to_union=world.union_b2,
            reason="x",
        )


def test_a_transfer_into_a_union_dissolved_meanwhile_is_refused(world):
    membership = world.member("union_a")
    transfer = services.transfer_request(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        to_union=world.union_b,
        reason="x",
    )
    org_services.organization_update(
        actor=world.staff("town_b"), org=world.union_b, is_active=False
    )
    with pytest.raises(ValidationError, match="已撤销"):
        services.transfer_decide(
            actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True
        )
    assert Membership.unscoped.get(pk=membership.pk).is_active


def test_an_import_is_committed_once(world):
    actor = world.staff("city", "clerk")
    job = imports.import_job_create(
        actor=actor,
        kind="members",
        upload=csv_upload([["吴十", new_id_number(), "", "UNION_a", "", "", ""]]),
    )
    imports.run_check(job, actor)
    imports.run_commit(job, actor)
    with pytest.raises(ValidationError, match="不能重复确认"):
        imports.run_commit(job, actor)
    job.refresh_from_db()
    assert job.status == "done" and Membership.unscoped.count() == 1
    assert imports.run_check(job, actor).status == "done"  # a late second check does nothing


def test_strange_digits_are_a_row_error_not_a_crash(world, client):
    header = ["企业名称", "统一社会信用代码", "行业", "职工人数", "所在镇街编码"]
    actor = world.staff("town_a", "clerk")
    job = imports.import_job_create(
        actor=actor,
        kind="enterprises",
        upload=csv_upload([["某公司", new_credit_code(), "制造业", "①", "TOWN_A"]], header=header),
    )
    imports.run_check(job, actor)
    assert job.status == "failed" and job.errors[0]["column"] == "职工人数"
    client.force_login(actor)
    assert client.get(reverse("console:brand_list"), {"year": "²"}).status_code == 200
    assert client.get(reverse("console:coverage"), {"org": "²"}).status_code == 404


def test_two_foundings_cannot_take_the_same_enterprise(world):
    clerk, reviewer = world.staff("town_a", "clerk"), world.staff("town_a", "reviewer")
    enterprise = org_services.enterprise_create(
        actor=clerk,
        name="共享公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=9,
        area=world.town_a,
    )
    first = building_services.founding_apply(
        actor=clerk,
        parent=world.town_a,
        proposed_name="甲工会",
        grassroots_kind="enterprise",
        enterprises=[enterprise],
        chair_name="甲",
        initial_members=3,
        planned_on=datetime.date(2024, 1, 1),
    )
    building_services.founding_decide(actor=reviewer, application=first, approve=True)
    # A second application for it, made before the first was approved, is refused on approval.
    from gonghui.unionbuilding.models import FoundingApplication

    second = FoundingApplication.unscoped.create(
        parent=world.town_a,
        proposed_name="乙工会",
        grassroots_kind="enterprise",
        chair_name="乙",
        initial_members=3,
        planned_on=datetime.date(2024, 1, 1),
        created_by=clerk,
    )
    second.enterprises.set([enterprise])
    with pytest.raises(ValidationError, match="已被其他工会覆盖"):
        building_services.founding_decide(actor=reviewer, application=second, approve=True)


def test_coverage_leaves_out_dissolved_unions(world):
    world.member("union_a")
    world.member("union_a2")
    org_services.organization_update(
        actor=world.staff("district_a"), org=world.union_a2, is_active=False
    )
    report = building_selectors.coverage_report(
        actor=world.staff("district_a"), org=world.district_a
    )
    assert (report.unionised, report.enterprises) == (1, 2)
    assert report.members == 1
    assert report.grassroots == 1


def test_automatic_codes_skip_codes_typed_by_hand(world):
    admin = world.staff("city")
    typed = org_services.organization_create(
        actor=admin,
        parent=world.town_a,
        name="手填",
        kind=OrgKind.GRASSROOTS,
        grassroots_kind="joint",
        code="G0000003",
    )
    automatic = [
        org_services.organization_create(
            actor=admin,
            parent=world.town_a,
            name=f"自动{i}",
            kind=OrgKind.GRASSROOTS,
            grassroots_kind="joint",
        ).code
        for i in range(4)
    ]
    assert typed.code not in automatic and len(set(automatic)) == 4


def test_one_assessment_waits_for_review_at_a_time(world):
    from gonghui.unionbuilding.models import HomeStandardItem

    scores = {i.pk: (Decimal(i.max_score), "") for i in HomeStandardItem.objects.all()}
    clerk = world.staff("town_a", "clerk")
    building_services.home_assess(
        actor=clerk, union=world.union_a, assessed_on=datetime.date(2024, 1, 1), scores=scores
    )
    with pytest.raises(ValidationError, match="待审核"):
        building_services.home_assess(
            actor=clerk, union=world.union_a, assessed_on=datetime.date(2024, 1, 2), scores=scores
        )
