"""The console pages of the periods (list, page, settings, rules editor, copy / publish /
close, calculator) and their API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gonghui.accounts.services import api_token_issue
from gonghui.mutualaid.demo import RULES
from gonghui.mutualaid.models import Period, PeriodStatus
from gonghui.mutualaid.tests import periods_helpers as h

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_post(period, **changes):
    """The rules editor's fields for the demo's rules, with ``changes`` by input name."""
    data = {"yearly_cap": RULES["yearly_cap"], "categories": str(len(RULES["categories"]))}
    for i, cat in enumerate(RULES["categories"]):
        for name in ("code", "name", "deductible", "per_claim_cap", "yearly_cap", "lump_sum"):
            data[f"c-{i}-{name}"] = cat.get(name) or ""
        data[f"c-{i}-sex"] = cat.get("sex") or ""
        data[f"c-{i}-bands"] = str(len(cat["bands"]))
        for j, band in enumerate(cat["bands"]):
            for name in ("start", "end", "rate"):
                data[f"c-{i}-b-{j}-{name}"] = band[name] or ""
    data.update(changes)
    return data


def test_the_list_and_a_period_s_page_show_the_rules_as_tables(world):
    period = h.period(world)
    client = login(world.staff("union_b", "clerk"))  # below the city: sees, does not edit
    page = client.get(reverse("console:mutualaid_periods")).content.decode()
    assert period.name in page
    assert "新建保障期" not in page
    page = client.get(reverse("console:mutualaid_period", args=[period.pk])).content.decode()
    assert "住院" in page and "门诊特殊病种" in page
    assert "5,000.00 – 20,000.00 元" in page and "60%" in page
    assert "20,000.00 元以上" in page
    assert "定额补助：超过起付线后每年给付一次 20,000.00 元。" in page
    assert "限女职工" in page
    assert "75,200.00" in page
    assert "修改保障规则" not in page and "复制为下一期" not in page
    page = login(world.staff("city", "clerk")).get(
        reverse("console:mutualaid_period", args=[period.pk])
    )
    assert "修改保障规则" in page.content.decode() and "复制为下一期" in page.content.decode()


def test_a_clerk_creates_a_period_in_the_console(world):
    fund = h.fund(world)
    client = login(world.staff("city", "clerk"))
    data = {
        "organization": world.city.pk,
        "name": "第一期（2017年）",
        "starts_on": "2017-01-01",
        "ends_on": "2017-12-31",
        "enrol_opens_on": "2016-11-01",
        "enrol_closes_on": "2016-12-31",
        "fee": "116",
        "fund": fund.pk,
        "waiting_days": "90",
        "claims_close_on": "2018-03-31",
        "auto_approve_below": "3000",
        "sample_percent": "5",
        "flag_multiple": "3",
    }
    bad = client.post(reverse("console:mutualaid_period_create"), {**data, "fee": "116.001"})
    assert "金额最多两位小数（精确到分）。" in bad.content.decode()
    bad = client.post(reverse("console:mutualaid_period_create"), {**data, "name": "<b>x</b>"})
    assert "不能包含 HTML 标签或脚本" in bad.content.decode()
    assert not Period.unscoped.exists()
    response = client.post(reverse("console:mutualaid_period_create"), data)
    period = Period.unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:mutualaid_period_rules", args=[period.pk])
    assert period.status == PeriodStatus.DRAFT


def test_the_rules_editor_adds_and_removes_band_rows_and_saves(world):
    period = h.period(world, publish=False)
    client = login(world.staff("city", "clerk"))
    url = reverse("console:mutualaid_period_rules", args=[period.pk])
    page = client.get(url).content.decode()
    assert 'name="c-0-b-2-rate" id="id_c-0-b-2-rate" value="70"' in page
    # Add a band to the in-patient category: a fourth row, starting where the third ended
    # (it has no end, so the new start is empty), nothing saved.
    added = client.post(url, editor_post(period, action="add_band-0"), HTTP_HX_REQUEST="true")
    text = added.content.decode()
    assert 'name="c-0-b-3-start"' in text
    assert "<html" not in text  # the fragment only
    removed = client.post(url, editor_post(period, action="remove_band-0-2"))
    assert 'name="c-0-b-2-start"' not in removed.content.decode()
    period.refresh_from_db()
    assert len(period.rules["categories"][0]["bands"]) == 3
    # Save with the top band at 75%.
    saved = client.post(url, editor_post(period, **{"c-0-b-2-rate": "75", "action": "save"}))
    assert saved.status_code == 302
    period.refresh_from_db()
    assert period.rules["categories"][0]["bands"][2]["rate"] == "75"


def test_the_rules_editor_puts_each_error_at_its_input(world):
    period = h.period(world, publish=False)
    client = login(world.staff("city", "clerk"))
    url = reverse("console:mutualaid_period_rules", args=[period.pk])
    post = editor_post(
        period,
        **{
            "c-0-b-1-start": "6000",
            "c-1-name": "<script>x</script>",
            "c-2-b-0-rate": "120",
            "c-3-code": "inpatient",
            "c-0-deductible": "-5",
            "action": "save",
        },
    )
    page = client.post(url, post).content.decode()
    for name, message in (
        ("c-0-b-1-start", "与上一段之间有空档"),
        ("c-1-name", "不能包含 HTML 标签或脚本"),
        ("c-2-b-0-rate", "赔付比例不能超过 100%。"),
        ("c-3-code", "类别代码“inpatient”与第 1 个类别重复"),
        ("c-0-deductible", "金额不能为负数。"),
    ):
        found = page.split(f'data-testid="error-{name}">', 1)
        assert len(found) == 2, name
        assert found[1].startswith(message) or message in found[1][:120], name
    assert "请修改标红的内容后再保存，未保存任何数据。" in page
    period.refresh_from_db()
    assert period.rules["categories"][0]["deductible"] == "500.00"


def test_publish_copy_and_close_from_the_period_s_page(world):
    period = h.period(world, publish=False)
    client = login(world.staff("city", "clerk"))
    client.post(reverse("console:mutualaid_period_publish", args=[period.pk]))
    period.refresh_from_db()
    assert period.status == PeriodStatus.OPEN
    response = client.post(reverse("console:mutualaid_period_copy", args=[period.pk]))
    copied = Period.unscoped.get(copied_from=period)
    assert response["Location"] == reverse("console:mutualaid_period", args=[copied.pk])
    assert copied.name == "第二期（2018年）"
    again = client.post(reverse("console:mutualaid_period_copy", args=[period.pk]), follow=True)
    assert "的保障期间重叠" in again.content.decode()
    client.post(reverse("console:mutualaid_period_close", args=[period.pk]))
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    # Those below may not act on the city's period.
    below = login(world.staff("district_b", "admin"))
    response = below.post(reverse("console:mutualaid_period_publish", args=[copied.pk]))
    assert response.status_code == 404
    copied.refresh_from_db()
    assert copied.status == PeriodStatus.DRAFT


def test_the_calculator_page(world):
    period = h.period(world)
    client = login(world.staff("union_b", "clerk"))
    url = reverse("console:mutualaid_calculator")
    assert period.name in client.get(url).content.decode()
    page = client.get(url, {"period": period.pk}).content.decode()
    assert "门诊特殊病种" in page  # the period's categories to choose from
    page = client.get(
        url, {"period": period.pk, "category": "inpatient", "amounts": "3000, 9500"}
    ).content.decode()
    assert 'data-testid="benefit">6700.00<' in page
    assert "其中 5,000.00 元（0.00 至 5,000.00 元段）按 50% 计 2,500.00 元。" in page
    page = client.get(
        url, {"period": period.pk, "category": "inpatient", "amounts": "-3 1.234"}
    ).content.decode()
    assert "金额不能为负数。" in page and "金额最多两位小数（精确到分）。" in page
    other = h.period(world, "district_a")
    assert client.get(url, {"period": other.pk}).status_code == 404
    assert client.get(url, {"period": "x"}).status_code == 404


# --- API --------------------------------------------------------------------------------------


def api(user, method, path, body=None):
    key, _ = api_token_issue(user=user)
    client = Client()
    if body is None:
        return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def test_the_api_sets_up_copies_publishes_and_calculates(world):
    fund = h.fund(world)
    clerk = world.staff("city", "clerk")
    body = {
        "organization_id": world.city.pk,
        "name": "第一期（2017年）",
        "starts_on": "2017-01-01",
        "ends_on": "2017-12-31",
        "enrol_opens_on": "2016-11-01",
        "enrol_closes_on": "2016-12-31",
        "fee": "116.00",
        "fund_id": fund.pk,
        "claims_close_on": "2018-03-31",
        "rules": RULES,
    }
    response = api(clerk, "post", "/api/mutualaid/periods", body)
    assert response.status_code == 201, response.content
    period_id = response.json()["id"]
    assert response.json()["rules"]["categories"][3]["lump_sum"] == "20000.00"
    bad = {**RULES, "categories": [{**RULES["categories"][0], "bands": []}]}
    response = api(clerk, "put", f"/api/mutualaid/periods/{period_id}/rules", {"rules": bad})
    assert response.status_code == 422
    assert "rules.categories.0.bands" in response.content.decode()
    response = api(clerk, "post", f"/api/mutualaid/periods/{period_id}/publish")
    assert response.json()["status"] == "open"
    response = api(clerk, "post", f"/api/mutualaid/periods/{period_id}/copy", {})
    assert response.status_code == 201
    assert response.json()["starts_on"] == "2018-01-01"
    response = api(
        world.staff("union_b", "clerk"),
        "post",
        f"/api/mutualaid/periods/{period_id}/calculate",
        {"category": "inpatient", "amounts": ["3000", "9500.00"], "earlier_eligible": "0"},
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assert Decimal(result["benefit"]) == Decimal("6700.00")
    assert result["lines"][-1] == "本次赔付 6,700.00 元；本年本类别累计赔付 6,700.00 元。"
    response = api(world.staff("district_a", "clerk"), "get", f"/api/mutualaid/periods/{period_id}")
    assert response.status_code == 200  # the city's periods are seen by every district
    response = api(clerk, "post", "/api/mutualaid/periods", {**body, "name": "<b>x</b>"})
    assert response.status_code == 422
