import pytest

from gonghui.core.scoping import NotFound, UnscopedQueryError, get_visible
from gonghui.members.models import Membership
from gonghui.organizations.models import Enterprise, Organization

pytestmark = pytest.mark.django_db


def test_reading_a_scoped_model_without_an_actor_fails_loudly():
    with pytest.raises(UnscopedQueryError):
        list(Organization.objects.all())
    with pytest.raises(UnscopedQueryError):
        Membership.objects.filter(status="active").count()


def test_staff_see_their_subtree_only(world):
    actor = world.staff("district_a")
    visible = set(Organization.objects.visible_to(actor).values_list("pk", flat=True))
    assert world.union_a.pk in visible and world.town_a.pk in visible
    assert world.district_a.pk in visible
    assert world.union_b.pk not in visible and world.city.pk not in visible


def test_the_city_sees_everything(world):
    actor = world.staff("city", "leader")
    assert Organization.objects.visible_to(actor).count() == Organization.unscoped.count()


def test_out_of_scope_is_not_found_like_a_missing_record(world):
    actor = world.staff("district_a")
    with pytest.raises(NotFound):
        get_visible(Enterprise.objects.visible_to(actor), pk=world.enterprises["enterprise_b"].pk)
    with pytest.raises(NotFound):
        get_visible(Enterprise.objects.visible_to(actor), pk=999_999)


def test_anonymous_and_deactivated_staff_see_nothing(world, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert Organization.objects.visible_to(AnonymousUser()).count() == 0
    actor = world.staff("city")
    actor.is_active = False
    assert Organization.objects.visible_to(actor).count() == 0


def test_workers_see_only_their_own_memberships(world):
    worker = world.worker("union_a")
    other = world.member("union_a")
    mine = Membership.objects.visible_to(worker)
    assert list(mine.values_list("person_id", flat=True)) == [worker.person_id]
    assert not mine.filter(pk=other.pk).exists()
