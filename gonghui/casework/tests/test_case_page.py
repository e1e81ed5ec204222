"""The console case page guides: each person is offered only the actions the services would
let them take now, the likely one first and open, one form at a time; steps that cannot be
undone need a confirmation the server checks; a refused form comes back with every error at
its field and what was typed; the worker's own words and files are shown on both sides."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gonghui.casework import selectors
from gonghui.casework.models import Case, CaseState
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import materials as materials_services
from gonghui.organizations.models import ServiceType
from gonghui.testing.world import build_world


@pytest.fixture
def world(db):
    return build_world()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_case(world, code: str = "petition", description: str = "车间噪声太大，申请调岗。"):
    worker = world.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code=code),
        title="申请调岗",
        description=description,
    )
    return worker, case


def offered(html: str) -> list[str]:
    """The actions on the page, in order, as the person sees them."""
    return re.findall(r'<details name="case-action"[^>]*data-action="([a-z_]+)"', html)


def opened(html: str) -> list[str]:
    return re.findall(r'<details name="case-action"[^>]*data-action="([a-z_]+)" open', html)


def page(client: Client, case: Case) -> str:
    response = client.get(reverse("console:case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def act(client: Client, case: Case, action: str, data: dict | None = None):
    return client.post(reverse("console:case_act", args=[case.pk, action]), data or {})


# --- who is offered what ------------------------------------------------------------------------


def test_grassroots_clerk_is_offered_accept_first_and_only_its_form_is_open(world):
    # Given a petition waiting at the worker's grassroots union,
    _worker, case = open_case(world)
    assert case.handler == world.union_b
    # when the union's clerk opens it,
    html = page(login(world.staff("union_b", "clerk")), case)
    # then 受理 comes first and is the one form open; the rest wait behind their buttons.
    assert offered(html) == [
        "accept",
        "assign",
        "note",
        "visit",
        "refer",
        "escalate",
        "reject",
    ]
    assert opened(html) == ["accept"]
    # 办结 is not offered before the case is accepted.
    assert 'data-action="resolve"' not in html


def test_after_acceptance_the_clerk_is_offered_resolve_first(world):
    _worker, case = open_case(world)
    clerk = world.staff("union_b", "clerk")
    cases_services.case_accept(actor=clerk, case=case)
    html = page(login(clerk), case)
    assert offered(html)[0] == "resolve" and opened(html) == ["resolve"]
    assert "accept" not in offered(html)


def test_a_legal_aid_case_offers_the_lawyer_first_once_accepted(world):
    _worker, case = open_case(world, code="legal_aid")
    clerk = world.staff("town_b", "clerk")
    cases_services.case_accept(actor=clerk, case=case)
    assert offered(page(login(clerk), case))[:2] == ["lawyer", "resolve"]


def test_read_only_leader_is_offered_nothing_and_is_never_an_assignee(world):
    _worker, case = open_case(world)
    leader = world.staff("union_b", "leader")
    # The leader of the handling union reads the case and is told why there is nothing to do.
    html = page(login(leader), case)
    assert offered(html) == []
    assert "您的角色只能查看，不能办理此事项。" in html
    # The clerk's 分派 list holds those who may act: no leader, no reviewer.
    clerk_html = page(login(world.staff("union_b", "clerk")), case)
    assign = clerk_html[clerk_html.index('data-action="assign"') :]
    assign = assign[: assign.index("</details>")]
    assert world.staff("union_b", "clerk").full_name in assign
    assert world.staff("union_b", "admin").full_name in assign
    assert leader.full_name not in assign
    assert world.staff("union_b", "reviewer").full_name not in assign
    assert list(selectors.handler_staff(case=case).filter(pk=leader.pk)) == []
    # and the service refuses a leader however the request is made.
    with pytest.raises(ValidationError) as refused:
        cases_services.case_assign(
            actor=world.staff("union_b", "clerk"), cases=[case], assignee=leader
        )
    assert "只能查看，不能作为经办人" in str(refused.value)


def test_district_admin_may_act_on_a_case_in_their_subtree(world):
    _worker, case = open_case(world)
    html = page(login(world.staff("district_b", "admin")), case)
    assert offered(html)[0] == "accept"
    # The district's own staff are not the union's: assigning is for the handler's staff,
    # and the union has some, so it is offered.
    assert "assign" in offered(html)


def test_a_clerk_of_another_town_does_not_find_the_case(world):
    _worker, case = open_case(world)
    response = login(world.staff("town_a", "clerk")).get(
        reverse("console:case_detail", args=[case.pk])
    )
    assert response.status_code == 404


def test_the_worker_is_sent_to_the_portal_page_and_offered_no_staff_action(world):
    worker, case = open_case(world)
    client = login(worker)
    console = client.get(reverse("console:case_detail", args=[case.pk]))
    assert console.status_code == 302 and console["Location"] == reverse("portal:home")
    portal = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert "case-action" not in portal
    assert act(client, case, "accept", {"confirm": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_a_closed_case_offers_nothing(world):
    _worker, case = open_case(world)
    clerk = world.staff("union_b", "clerk")
    cases_services.case_reject(actor=clerk, case=case, reason="不属于工会职责")
    html = page(login(clerk), case)
    assert offered(html) == []


# --- irreversible steps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "before", "data", "after"),
    [
        ("accept", CaseState.SUBMITTED, {}, CaseState.ACCEPTED),
        ("reject", CaseState.SUBMITTED, {"reason": "属于劳动仲裁，请向仲裁委申请"}, "rejected"),
        ("resolve", CaseState.ACCEPTED, {"resolution": "已协调调岗到装配车间"}, "resolved"),
    ],
)
def test_an_irreversible_step_needs_the_confirmation_the_server_checks(
    world, action, before, data, after
):
    _worker, case = open_case(world)
    clerk = world.staff("union_b", "clerk")
    if before == CaseState.ACCEPTED:
        cases_services.case_accept(actor=clerk, case=case)
    client = login(clerk)
    # When the clerk submits without ticking the confirmation,
    refused = act(client, case, action, data)
    # then nothing happens: the form comes back open, with the reason at the box and the text,
    html = refused.content.decode()
    assert refused.status_code == 200
    assert opened(html) == [action]
    assert "此操作不能撤销，请勾选确认后再提交。" in html
    for value in data.values():
        assert value in html
    case.refresh_from_db()
    assert case.state == before
    # and with the box ticked the step is taken.
    assert act(client, case, action, {**data, "confirm": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.state == after


def test_mediation_conclusion_needs_the_confirmation(world):
    _worker, case = open_case(world, code="mediation")
    clerk = world.staff("union_b", "clerk")
    client = login(clerk)
    cases_services.case_accept(actor=clerk, case=case)
    act(
        client,
        case,
        "mediation",
        {"applicant": "张三", "respondent": "某公司", "claims": "补发加班费", "mediator": "李四"},
    )
    act(
        client,
        case,
        "mediation_session",
        {"held_on": "2024-03-01", "place": "调解室", "attendees": "双方", "summary": "达成一致"},
    )
    assert "mediation_conclude" in offered(page(client, case))
    data = {"outcome": "agreed", "agreement": "公司补发加班费 3000 元"}
    refused = act(client, case, "mediation_conclude", data)
    assert refused.status_code == 200
    assert selectors.mediation_of(case=case).outcome == "pending"
    act(client, case, "mediation_conclude", {**data, "confirm": "on"})
    assert selectors.mediation_of(case=case).outcome == "agreed"


def test_a_refused_form_shows_every_error_at_its_field_and_keeps_the_text(world):
    _worker, case = open_case(world)
    client = login(world.staff("union_b", "clerk"))
    long_reason = "不属于工会职责" * 50  # 350 characters, the limit is 300
    html = act(client, case, "reject", {"reason": long_reason}).content.decode()
    assert "不能超过 300 个字，现有 350 个字，请删减。" in html
    assert "此操作不能撤销，请勾选确认后再提交。" in html
    assert long_reason in html  # kept, not cut
    assert 'id="reject_reason"' in html and " maxlength=" not in html


def test_an_action_no_longer_offered_is_refused_with_the_services_reason(world):
    _worker, case = open_case(world)
    client = login(world.staff("union_b", "clerk"))
    response = act(client, case, "resolve", {"resolution": "x", "confirm": "on"})
    assert response.status_code == 302
    follow = client.get(response["Location"]).content.decode()
    assert "该事项当前为“待受理”，不能执行此操作。" in follow


# --- placeholders -------------------------------------------------------------------------------


def test_selects_say_what_to_choose(world):
    _worker, case = open_case(world, code="legal_aid")
    clerk = world.staff("town_b", "clerk")
    cases_services.case_accept(actor=clerk, case=case)
    html = page(login(clerk), case)
    assert "---------" not in html
    assert "请选择经办人…" in html
    assert "请选择援助律师…" in html
    assert "输入单位名称查找" in html  # the transfer target is chosen with the organisation picker


# --- the worker's own words and files ----------------------------------------------------------


def test_the_workers_words_and_files_are_shown_on_both_sides(world):
    worker, case = open_case(world, description="车间噪声超过 90 分贝，耳鸣三个月。")
    materials_services.case_material_add(
        actor=worker,
        case=case,
        upload=SimpleUploadedFile("体检报告.pdf", b"%PDF-1.4 ok", content_type="application/pdf"),
    )
    console = page(login(world.staff("union_b", "clerk")), case)
    own = console[console.index('data-testid="case-own-words"') :]
    assert "车间噪声超过 90 分贝，耳鸣三个月。" in own[: own.index("</section>")]
    materials = console[console.index('data-testid="case-materials"') :]
    assert "体检报告.pdf" in materials and "职工提交" in materials

    portal = login(worker).get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    own = portal[portal.index('data-testid="case-own-words"') :]
    assert "车间噪声超过 90 分贝，耳鸣三个月。" in own[: own.index("</section>")]
    materials = portal[portal.index('data-testid="case-materials"') :]
    assert "体检报告.pdf" in materials and "我提交的" in materials


def test_the_workers_refused_rating_keeps_the_comment(world):
    worker, case = open_case(world)
    clerk = world.staff("union_b", "clerk")
    cases_services.case_accept(actor=clerk, case=case)
    cases_services.case_resolve(actor=clerk, case=case, resolution="已调岗")
    response = login(worker).post(
        reverse("portal:case_confirm", args=[case.pk]), {"comment": "处理很及时"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请给出 1 到 5 星的评价。" in html and "处理很及时" in html
