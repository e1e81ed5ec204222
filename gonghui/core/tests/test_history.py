"""The history a person reads: field labels, local times and names, never the code's words."""

import re

import pytest
from django.apps import apps

from gonghui.core.history import _shown, history_of
from gonghui.members import services

pytestmark = pytest.mark.django_db


def test_every_field_history_can_show_has_a_label():
    unlabelled = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_models()
        if hasattr(model, "history") and not model.__name__.startswith("Historical")
        for field in model._meta.fields
        if field.name != "id"
        and _shown(field)
        and str(field.verbose_name) == field.name.replace("_", " ")
    ]
    assert unlabelled == []


def test_a_decided_transfer_reads_as_labels_local_times_and_names(world):
    membership = world.member("union_a")
    transfer = services.transfer_request(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        to_union=world.union_b,
        reason="工作调动",
    )
    services.transfer_decide(actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True)
    changes = {c.field: c.new for c in history_of(transfer)[0].changes}
    assert set(changes) >= {"审批时间", "审批人", "新会籍", "状态"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", changes["审批时间"])
    assert changes["新会籍"].startswith("会员卡 ") and changes["新会籍"].endswith("（在册）")
    assert changes["状态"] == "已同意"


def test_bookkeeping_fields_are_not_shown_but_sealed_ones_say_they_changed(world):
    from gonghui.testing.factories import new_mobile

    membership = world.member("union_a")
    person = membership.person
    services.person_update(
        actor=world.staff("town_a", "clerk"),
        person=person,
        data=services.PersonInput(
            name=person.name, id_number=person.id_number.reveal(), mobile=new_mobile()
        ),
    )
    fields = [c.field for c in history_of(person)[0].changes]
    assert fields == ["手机号"]
