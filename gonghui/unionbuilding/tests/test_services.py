import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.members.models import Membership
from gonghui.organizations import services as org_services
from gonghui.organizations.models import Enterprise, Organization
from gonghui.testing.factories import new_credit_code
from gonghui.unionbuilding import selectors, services
from gonghui.unionbuilding.models import HomeStandardItem, MechanismType

pytestmark = pytest.mark.django_db


def _enterprise(world, town="town_a", employees=40):
    return org_services.enterprise_create(
        actor=world.staff(town, "clerk"),
        name=f"新企业{new_credit_code()[-4:]}",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=employees,
        area=world.orgs[town],
    )


def _full_scores(share=Decimal("0.9")):
    return {i.pk: (Decimal(i.max_score) * share, "") for i in HomeStandardItem.objects.all()}


def test_founding_approved_creates_the_union_and_covers_the_enterprises(world):
    a, b = _enterprise(world), _enterprise(world)
    application = services.founding_apply(
        actor=world.staff("town_a", "clerk"),
        parent=world.town_a,
        proposed_name="A镇小微企业联合工会",
        grassroots_kind="joint",
        enterprises=[a, b],
        chair_name="王主席",
        initial_members=30,
        planned_on=datetime.date(2024, 1, 1),
    )
    with pytest.raises(PermissionDenied):
        services.founding_decide(
            actor=world.staff("town_a", "clerk"), application=application, approve=True
        )
    decided = services.founding_decide(
        actor=world.staff("town_a", "reviewer"), application=application, approve=True
    )
    union = decided.union
    assert union.parent == world.town_a and union.grassroots_kind == "joint"
    assert set(Enterprise.unscoped.filter(union=union)) == {a, b}
    assert union.history.first().history_user == world.staff("town_a", "reviewer")


def test_founding_rules(world):
    covered = world.enterprises["enterprise_a"]
    with pytest.raises(ValidationError) as caught:
        services.founding_apply(
            actor=world.staff("district_a", "clerk"),
            parent=world.town_a,
            proposed_name="重复工会",
            grassroots_kind="enterprise",
            enterprises=[covered, world.enterprises["enterprise_b"]],
            chair_name="王",
            initial_members=0,
            planned_on=datetime.date(2024, 1, 1),
        )
    errors = caught.value.message_dict
    assert any("已有工会覆盖" in m for m in errors["enterprises"])
    assert any("不在上级工会辖区内" in m for m in errors["enterprises"])
    assert "initial_members" in errors


def test_refused_founding_needs_a_reason_and_creates_nothing(world):
    enterprise = _enterprise(world)
    application = services.founding_apply(
        actor=world.staff("town_a", "clerk"),
        parent=world.town_a,
        proposed_name="待定工会",
        grassroots_kind="enterprise",
        enterprises=[enterprise],
        chair_name="王",
        initial_members=5,
        planned_on=datetime.date(2024, 1, 1),
    )
    reviewer = world.staff("town_a", "reviewer")
    with pytest.raises(ValidationError):
        services.founding_decide(actor=reviewer, application=application, approve=False)
    services.founding_decide(
        actor=reviewer, application=application, approve=False, note="材料不全"
    )
    assert not Organization.unscoped.filter(name="待定工会").exists()
    enterprise.refresh_from_db()
    assert enterprise.union is None


def test_mechanism_checklist_with_evidence(world):
    congress = MechanismType.objects.get(code="congress")
    evidence = SimpleUploadedFile(
        "职代会决议.pdf", b"%PDF-1.4 test", content_type="application/pdf"
    )
    services.mechanism_save(
        actor=world.staff("town_a", "clerk"),
        union=world.union_a,
        type=congress,
        established_on=datetime.date(2020, 1, 1),
        last_held_on=datetime.date(2024, 3, 1),
        evidence=evidence,
    )
    lines = selectors.mechanism_checklist(
        actor=world.staff("union_a", "leader"), union=world.union_a
    )
    assert [line.type.code for line in lines if line.mechanism] == ["congress"]
    assert len(lines) == MechanismType.objects.count()
    with pytest.raises(ValidationError, match="PDF、JPG 或 PNG"):
        services.mechanism_save(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            type=congress,
            established_on=datetime.date(2020, 1, 1),
            evidence=SimpleUploadedFile("x.exe", b"MZ"),
        )
    with pytest.raises(ValidationError, match="最近一次开展"):
        services.mechanism_save(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            type=congress,
            established_on=datetime.date(2020, 1, 1),
            last_held_on=datetime.date(2019, 1, 1),
        )


def test_home_assessment_rating_follows_the_total(world):
    clerk, reviewer = world.staff("town_a", "clerk"), world.staff("town_a", "reviewer")
    assessment = services.home_assess(
        actor=clerk,
        union=world.union_a,
        assessed_on=datetime.date(2024, 5, 1),
        scores=_full_scores(),
    )
    assert assessment.total_score == Decimal("90.0")
    assert assessment.rating.name == "示范职工之家"
    assert selectors.current_home(actor=clerk, union=world.union_a) is None
    services.home_decide(actor=reviewer, assessment=assessment, approve=True)
    assert selectors.current_home(actor=clerk, union=world.union_a) == assessment


def test_nobody_rates_their_own_union(world):
    with pytest.raises(ValidationError, match="上级工会"):
        services.home_assess(
            actor=world.staff("union_a", "clerk"),
            union=world.union_a,
            assessed_on=datetime.date(2024, 5, 1),
            scores=_full_scores(),
        )


def test_home_scores_must_be_complete_and_in_range(world):
    scores = _full_scores()
    first = next(iter(scores))
    scores[first] = (Decimal("99"), "")
    missing = dict(list(scores.items())[1:])
    with pytest.raises(ValidationError) as caught:
        services.home_assess(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            assessed_on=datetime.date(2024, 5, 1),
            scores=scores,
        )
    assert f"score_{first}" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.home_assess(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            assessed_on=datetime.date(2024, 5, 1),
            scores=missing,
        )
    assert f"score_{first}" in caught.value.message_dict


def test_brand_project_registered_by_town_and_scored_above(world):
    project = services.brand_register(
        actor=world.staff("town_a", "clerk"),
        organization=world.town_a,
        year=timezone.localdate().year,
        title="一镇一品",
        description="示例",
    )
    with pytest.raises(ValidationError, match="上级"):
        services.brand_score(
            actor=world.staff("town_a", "reviewer"), project=project, score=Decimal("90")
        )
    with pytest.raises(ValidationError, match="0 到 100"):
        services.brand_score(
            actor=world.staff("district_a", "reviewer"), project=project, score=Decimal("101")
        )
    services.brand_score(
        actor=world.staff("district_a", "reviewer"), project=project, score=Decimal("88.5")
    )
    project.refresh_from_db()
    assert project.score == Decimal("88.5")
    with pytest.raises(ValidationError, match="已申报"):
        services.brand_register(
            actor=world.staff("town_a", "clerk"),
            organization=world.town_a,
            year=project.year,
            title="再来一个",
            description="x",
        )


def test_coverage_is_computed_from_records(world):
    _enterprise(world, employees=50)  # not unionised
    for _ in range(3):
        world.member("union_a")
    world.member("union_a2")
    clerk, reviewer = world.staff("town_a", "clerk"), world.staff("town_a", "reviewer")
    assessment = services.home_assess(
        actor=clerk,
        union=world.union_a,
        assessed_on=datetime.date(2024, 5, 1),
        scores=_full_scores(),
    )
    services.home_decide(actor=reviewer, assessment=assessment, approve=True)
    low = services.home_assess(
        actor=clerk,
        union=world.union_a2,
        assessed_on=datetime.date(2024, 5, 1),
        scores=_full_scores(Decimal("0.5")),
    )
    assert low.rating is None
    services.home_decide(actor=reviewer, assessment=low, approve=False, note="未达标")

    report = selectors.coverage_report(actor=world.staff("city", "leader"), org=world.city)
    a = next(c for c in report.children if c.org == world.district_a)
    assert (a.enterprises, a.unionised) == (3, 2)
    assert a.unionisation_rate == Decimal("0.6667")
    assert (a.members, a.employees) == (4, 250)
    assert a.membership_rate == Decimal("0.0160")
    assert (a.homes, a.grassroots) == (1, 2)
    assert a.home_rate == Decimal("0.5000")
    assert report.enterprises == 5 and report.grassroots == 4
    # A district sees its own subtree only.
    own = selectors.coverage_report(actor=world.staff("district_a", "leader"), org=world.district_a)
    assert own.members == 4 and own.grassroots == 2
    # A grassroots union's figures are those of the enterprises it covers: its page reads
    # "N 名会员 / M 名职工" with M its enterprises' employees, never 0.
    union = selectors.coverage_report(actor=world.staff("city", "leader"), org=world.union_a)
    covered = Enterprise.unscoped.filter(union=world.union_a)
    assert union.employees == sum(e.employee_count for e in covered) > 0
    assert (union.enterprises, union.unionised) == (covered.count(), covered.count())
    assert union.members == Membership.unscoped.filter(union=world.union_a, status="active").count()


def test_a_founding_may_not_take_the_name_of_a_sibling_or_of_a_pending_one(world):
    def apply(name):
        return services.founding_apply(
            actor=world.staff("town_a", "clerk"),
            parent=world.town_a,
            proposed_name=name,
            grassroots_kind="enterprise",
            enterprises=[_enterprise(world)],
            chair_name="王主席",
            initial_members=10,
            planned_on=datetime.date(2024, 1, 1),
        )

    with pytest.raises(ValidationError) as caught:
        apply(world.union_a.name)
    assert "已有（或正在申请成立）名为" in caught.value.message_dict["proposed_name"][0]
    apply("明珠包装有限公司工会")
    with pytest.raises(ValidationError, match="正在申请成立"):
        apply("明珠包装有限公司工会")


# --- the decision workflow (core.decisions) ----------------------------------------------------


def test_a_founding_decision_is_recorded_and_its_filer_cannot_approve_it(world):
    from gonghui.core.decisions import steps_of

    enterprise = _enterprise(world)
    admin = world.staff("town_a", "admin")  # may file and approve, but not both
    application = services.founding_apply(
        actor=admin,
        parent=world.town_a,
        proposed_name="A镇新企业工会",
        grassroots_kind="enterprise",
        enterprises=[enterprise],
        chair_name="李主席",
        initial_members=12,
        planned_on=datetime.date(2024, 3, 1),
    )
    with pytest.raises(PermissionDenied, match="录入人"):
        services.founding_decide(actor=admin, application=application, approve=True)
    reviewer = world.staff("district_a", "reviewer")
    application = services.founding_decide(actor=reviewer, application=application, approve=True)
    assert application.union is not None and application.decided_by == reviewer
    [step] = steps_of(application)
    assert (step.flow, step.step, step.approved) == ("unionbuilding.founding", "parent", True)
    assert step.organization == world.town_a and step.decided_by == reviewer
    assert step.snapshot["proposed_name"] == "A镇新企业工会"
    assert step.snapshot["enterprises"] == [
        {
            "id": enterprise.pk,
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "union_id": None,
        }
    ]
    assert step.snapshot["initial_members"] == 12


def test_a_home_decision_is_recorded_and_its_assessor_cannot_confirm_it(world):
    from gonghui.core.decisions import steps_of

    admin = world.staff("town_a", "admin")
    assessment = services.home_assess(
        actor=admin,
        union=world.union_a,
        assessed_on=datetime.date(2024, 5, 1),
        scores=_full_scores(),
    )
    with pytest.raises(PermissionDenied, match="录入人"):
        services.home_decide(actor=admin, assessment=assessment, approve=True)
    with pytest.raises(PermissionDenied, match="不能评定本组织"):
        services.home_decide(
            actor=world.staff("union_a", "reviewer"), assessment=assessment, approve=True
        )
    reviewer = world.staff("town_a", "reviewer")
    services.home_decide(actor=reviewer, assessment=assessment, approve=False, note="台账不全")
    [step] = steps_of(assessment)
    assert (step.flow, step.step, step.approved) == ("unionbuilding.home", "above_union", False)
    assert step.organization == world.union_a and step.reason == "台账不全"
    assert step.snapshot["total_score"] == "90.0"
    assert len(step.snapshot["scores"]) == HomeStandardItem.objects.count()
    assessment.refresh_from_db()
    assert assessment.status == "returned" and assessment.decision_note == "台账不全"
