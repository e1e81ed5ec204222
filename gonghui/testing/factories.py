"""factory_boy factories. Records are created through the services, as in real use."""

from __future__ import annotations

import datetime
import random
from typing import cast

import factory

from gonghui.demo import people
from gonghui.members.services import PersonInput

_rng = random.Random(11643)
_ids = people.Unique()
_mobiles = people.Unique()


def new_id_number(*, birth: datetime.date | None = None, region: str = "330402") -> str:
    day = birth or people.birth_date(_rng, oldest=1970, youngest=2000)
    return _ids.take(iter(lambda: people.id_number(_rng, region=region, birth=day), None))


def new_mobile() -> str:
    return _mobiles.take(people.mobiles(_rng))


def new_credit_code(region: str = "330402") -> str:
    return _ids.take(iter(lambda: people.credit_code(_rng, region=region), None))


def person_input(**overrides: object) -> PersonInput:
    """A valid, unique person as typed on a form (typed wrapper of the factory)."""
    return cast(PersonInput, PersonInputFactory(**overrides))


class PersonInputFactory(factory.Factory):
    class Meta:
        model = PersonInput

    name = factory.LazyFunction(lambda: people.name(_rng))
    id_number = factory.LazyFunction(new_id_number)
    mobile = factory.LazyFunction(new_mobile)
    household = ""
    education = ""
