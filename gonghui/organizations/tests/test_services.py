import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.core.scoping import NotFound
from gonghui.members.models import Membership
from gonghui.organizations import services
from gonghui.organizations.models import Enterprise, Organization, OrganizationMove, OrgKind
from gonghui.testing.factories import new_credit_code

pytestmark = pytest.mark.django_db


def test_paths_follow_the_tree(world):
    assert world.city.path == f"/{world.city.pk}/"
    assert world.union_b.path == f"{world.town_b.path}{world.union_b.pk}/"
    assert world.union_b.depth == 3


def test_admin_adds_a_child_in_their_subtree(world):
    town = services.organization_create(
        actor=world.staff("district_a"),
        parent=world.district_a,
        name="新A街道总工会",
        kind=OrgKind.TOWN,
        division_code="330402009",
    )
    assert town.path.startswith(world.district_a.path)
    assert town.code.startswith("G")
    assert town.history.first().history_user == world.staff("district_a")


def test_clerk_may_not_change_the_tree(world):
    with pytest.raises(PermissionDenied, match="管理组织架构"):
        services.organization_create(
            actor=world.staff("district_a", "clerk"),
            parent=world.district_a,
            name="X",
            kind=OrgKind.TOWN,
        )


def test_cannot_add_under_another_branch(world):
    with pytest.raises(NotFound):
        services.organization_create(
            actor=world.staff("district_a"), parent=world.district_b, name="X", kind=OrgKind.TOWN
        )


@pytest.mark.parametrize(
    ("parent", "kind", "gk", "field"),
    [
        ("union_a", OrgKind.GRASSROOTS, "enterprise", "parent"),
        ("town_a", OrgKind.DISTRICT, "", "kind"),
        ("town_a", OrgKind.GRASSROOTS, "", "grassroots_kind"),
        ("town_a", OrgKind.TOWN, "joint", "grassroots_kind"),
    ],
)
def test_tree_rules(world, parent, kind, gk, field):
    with pytest.raises(ValidationError) as caught:
        services.organization_create(
            actor=world.staff("city"),
            parent=world.orgs[parent],
            name="X",
            kind=kind,
            grassroots_kind=gk,
        )
    assert field in caught.value.message_dict
    assert Organization.unscoped.filter(name="X").count() == 0


def test_markup_in_a_name_is_refused_and_nothing_saved(world):
    with pytest.raises(ValidationError) as caught:
        services.organization_create(
            actor=world.staff("city"),
            parent=world.city,
            name="<script>alert(1)</script>",
            kind=OrgKind.DISTRICT,
        )
    assert "HTML" in caught.value.message_dict["name"][0]
    assert not Organization.unscoped.filter(name__contains="script").exists()


def test_moving_a_subtree_rewrites_every_descendant_and_is_audited(world):
    member = world.member("union_a")
    admin = world.staff("city")
    move = services.organization_move(
        actor=admin, org=world.town_a, new_parent=world.district_b, reason="行政区划调整"
    )
    town = Organization.unscoped.get(pk=world.town_a.pk)
    union = Organization.unscoped.get(pk=world.union_a.pk)
    assert town.parent_id == world.district_b.pk
    assert town.path == f"{world.district_b.path}{town.pk}/"
    assert union.path == f"{town.path}{union.pk}/"
    assert union.depth == 3
    assert move.descendants == 2
    assert OrganizationMove.objects.visible_to(admin).filter(organization=town).exists()
    # Members follow by foreign key: district B now sees them, district A does not.
    assert Membership.objects.visible_to(world.staff("district_b")).filter(pk=member.pk).exists()
    assert (
        not Membership.objects.visible_to(world.staff("district_a")).filter(pk=member.pk).exists()
    )
    assert town.history.first().history_change_reason == "行政区划调整"


def test_move_refuses_cycles_and_own_organisation(world):
    admin = world.staff("city")
    with pytest.raises(ValidationError, match="自己的下级"):
        services.organization_move(
            actor=admin, org=world.district_a, new_parent=world.town_a, reason="x"
        )
    with pytest.raises(ValidationError, match="本人所在"):
        services.organization_move(
            actor=world.staff("district_a"),
            org=world.district_a,
            new_parent=world.district_a,
            reason="x",
        )
    with pytest.raises(ValidationError, match="调整原因"):
        services.organization_move(
            actor=admin, org=world.town_a, new_parent=world.district_b, reason=" "
        )


def test_move_into_another_branch_is_not_found_for_a_district(world):
    with pytest.raises(NotFound):
        services.organization_move(
            actor=world.staff("district_a"),
            org=world.town_a,
            new_parent=world.district_b,
            reason="x",
        )


def test_enterprise_credit_code_is_checked_and_unique(world):
    clerk = world.staff("town_a", "clerk")
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=clerk,
            name="重复公司",
            credit_code=world.enterprises["enterprise_b"].credit_code,
            industry="C",
            employee_count=5,
            area=world.town_a,
        )
    assert "已登记为" in caught.value.message_dict["credit_code"][0]
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=clerk,
            name="错误公司",
            credit_code="91330402MA2B3C4D5",
            industry="C",
            employee_count=5,
            area=world.town_a,
        )
    assert "18 位" in caught.value.message_dict["credit_code"][0]
    assert not Enterprise.unscoped.filter(name__in=["重复公司", "错误公司"]).exists()


def test_enterprise_outside_scope_cannot_be_registered(world):
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=world.staff("town_a", "clerk"),
            name="越界公司",
            credit_code=new_credit_code(),
            industry="C",
            employee_count=5,
            area=world.town_b,
        )
    assert "范围内" in caught.value.message_dict["area"][0]


def test_enterprise_changes_are_in_history(world):
    enterprise = world.enterprises["enterprise_a"]
    services.enterprise_update(
        actor=world.staff("town_a", "clerk"), enterprise=enterprise, employee_count=150
    )
    latest = enterprise.history.first()
    assert latest.history_user == world.staff("town_a", "clerk")
    delta = latest.diff_against(latest.prev_record)
    assert [c.field for c in delta.changes] == ["employee_count"]


def test_service_place_with_opening_hours(world):
    import datetime

    from gonghui.organizations.models import ServiceType

    place = services.service_place_save(
        actor=world.staff("town_a", "clerk"),
        place=None,
        organization=world.town_a,
        tier="station",
        name="A镇职工服务站",
        address="A镇人民路 1 号",
        service_types=ServiceType.objects.all()[:3],
        staff=[world.staff("town_a", "clerk")],
        opening=[(1, datetime.time(8, 30), datetime.time(17, 0))],
    )
    assert [str(p) for p in place.opening.all()] == ["周一 08:30-17:00"]
    with pytest.raises(ValidationError, match="重叠"):
        services.service_place_save(
            actor=world.staff("town_a", "clerk"),
            place=place,
            organization=world.town_a,
            tier="station",
            name="A镇职工服务站",
            address="A镇人民路 1 号",
            opening=[
                (1, datetime.time(8, 30), datetime.time(12, 0)),
                (1, datetime.time(11, 0), datetime.time(17, 0)),
            ],
        )
    with pytest.raises(ValidationError, match="工作人员"):
        services.service_place_save(
            actor=world.staff("town_a", "clerk"),
            place=place,
            organization=world.town_a,
            tier="station",
            name="A镇职工服务站",
            address="A镇人民路 1 号",
            staff=[world.staff("town_b", "clerk")],
        )


def test_service_type_deadlines_are_kept_by_the_city_administrators(db):
    import pytest as _pytest
    from django.core.exceptions import PermissionDenied, ValidationError

    from gonghui.organizations.models import ServiceType
    from gonghui.organizations.services import service_type_update
    from gonghui.testing.world import build_world

    world = build_world()
    legal = ServiceType.objects.get(code="legal_aid")
    values = {
        "response_limit": 3,
        "response_unit": "workday",
        "resolution_limit": 30,
        "resolution_unit": "workday",
        "tiers": ["centre"],
        "auto_close_days": 14,
        "is_active": True,
    }
    with _pytest.raises(PermissionDenied):
        service_type_update(actor=world.staff("district_a", "admin"), service_type=legal, **values)
    with _pytest.raises(ValidationError) as exc:
        service_type_update(
            actor=world.staff("city", "admin"), service_type=legal, **{**values, "tiers": []}
        )
    assert "tiers" in exc.value.message_dict
    service_type_update(actor=world.staff("city", "admin"), service_type=legal, **values)
    legal.refresh_from_db()
    assert legal.tiers == ["centre"] and legal.resolution_limit == 30


def test_two_organisations_of_one_name_under_one_parent_are_refused(world):
    admin = world.staff("district_a")
    # Given a union under town A,
    name = world.union_a.name

    # a second of the same name under the same town is refused, naming both,
    with pytest.raises(ValidationError) as caught:
        services.organization_create(
            actor=admin,
            parent=world.town_a,
            name=name,
            kind=OrgKind.GRASSROOTS,
            grassroots_kind="enterprise",
        )
    assert f"下已有名为“{name}”的组织" in caught.value.message_dict["name"][0]
    # as is renaming a sibling to it, or moving one of that name in;
    other = services.organization_create(
        actor=admin,
        parent=world.town_a,
        name="另一个工会",
        kind=OrgKind.GRASSROOTS,
        grassroots_kind="enterprise",
    )
    with pytest.raises(ValidationError, match="下已有名为"):
        services.organization_update(actor=admin, org=other, name=name)
    namesake = services.organization_create(
        actor=world.staff("city"),
        parent=world.town_b,
        name=name,
        kind=OrgKind.GRASSROOTS,
        grassroots_kind="enterprise",
    )  # under another parent the name is free
    with pytest.raises(ValidationError, match="请先改名再移动"):
        services.organization_move(
            actor=world.staff("city"), org=namesake, new_parent=world.town_a, reason="调整"
        )
    # while keeping one's own name on an edit is fine.
    services.organization_update(actor=admin, org=other, name="另一个工会", phone="0573-1")
    assert Organization.unscoped.filter(parent=world.town_a, name=name).count() == 1
