"""Union-building pages that write: what a reviewer does in the console."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.unionbuilding import services
from gonghui.unionbuilding.models import BrandProject

pytestmark = pytest.mark.django_db


def test_the_level_above_scores_a_brand_project_on_its_page(world):
    project = services.brand_register(
        actor=world.staff("town_a", "clerk"),
        organization=world.town_a,
        year=timezone.localdate().year,
        title="一镇一品",
        description="示例",
    )
    client = Client()
    client.force_login(world.staff("district_a", "reviewer"))
    response = client.post(
        reverse("console:brand_detail", args=[project.pk]),
        {"score": "88.5", "score_note": "特色鲜明"},
    )
    assert response.status_code == 302
    project = BrandProject.unscoped.get(pk=project.pk)
    assert (project.score, project.score_note) == (Decimal("88.5"), "特色鲜明")
