import pytest
from django.urls import reverse

from gonghui.conftest import sms_code
from gonghui.core.models import PersonalDataAccess
from gonghui.members import card
from gonghui.members.models import JoinApplication, Person
from gonghui.testing.factories import new_id_number, new_mobile
from gonghui.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.staff("district_a", "clerk"))
    return client


def test_member_search_by_name_and_exact_id_number(clerk_client, world):
    alice = world.member("union_a", name="欧阳娜娜")
    world.member("union_a", name="王强")
    other_branch = world.member("union_b", name="欧阳修")
    page = clerk_client.get(reverse("console:member_list"), {"q": "欧阳"}).content.decode()
    assert "欧阳娜娜" in page and "王强" not in page and "欧阳修" not in page
    # The full ID number is matched exactly through its keyed hash, sent in a POST body (never
    # in a URL), and shown masked.
    number = alice.person.id_number.reveal()
    page = clerk_client.post(reverse("console:member_lookup"), {"key": number}).content.decode()
    assert "欧阳娜娜" in page and number not in page
    assert str(alice.person.id_number) in page
    mobile = alice.person.mobile.reveal()
    page = clerk_client.post(reverse("console:member_lookup"), {"key": mobile}).content.decode()
    assert "欧阳娜娜" in page and mobile not in page
    # Another branch's member is not found even by the exact number.
    number = other_branch.person.id_number.reveal()
    page = clerk_client.post(reverse("console:member_lookup"), {"key": number}).content.decode()
    assert "欧阳修" not in page and "没有符合条件的会员" in page
    page = clerk_client.post(reverse("console:member_lookup"), {"key": "12345"}).content.decode()
    assert "请输入完整的 18 位身份证号" in page


MEMBER_LIST_QUERIES = 7


def test_member_list_paginates_with_a_bounded_number_of_queries(
    clerk_client, world, django_assert_max_num_queries
):
    for _ in range(25):
        world.member("union_a")
    # The side menu's badges are counted on a cold cache, one query per module's badge, and
    # then served from the cache until their records change: measure the page, warm.
    clerk_client.get(reverse("console:member_list"))
    with django_assert_max_num_queries(MEMBER_LIST_QUERIES):
        response = clerk_client.get(reverse("console:member_list"))
    assert response.status_code == 200
    assert "共 25 条" in response.content.decode()


def test_reveal_is_logged_and_only_for_roles_that_may(client, world):
    membership = world.member("union_a")
    url = reverse("console:member_reveal", args=[membership.pk, "id_number"])
    client.force_login(world.staff("district_a", "leader"))
    assert client.post(url, {"reason": "verify"}).status_code == 403
    client.force_login(world.staff("district_b", "admin"))
    assert client.post(url, {"reason": "verify"}).status_code == 404
    client.force_login(world.staff("district_a", "clerk"))
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"reason": "verify", "reason_note": "窗口办理"})
    assert membership.person.id_number.reveal() in response.content.decode()
    log = PersonalDataAccess.unscoped.get()
    assert (log.actor, log.subject_id, log.field, log.reason, log.reason_note) == (
        world.staff("district_a", "clerk"),
        membership.person_id,
        "id_number",
        "verify",
        "窗口办理",
    )
    client.force_login(world.staff("city", "admin"))
    page = client.get(reverse("console:access_log")).content.decode()
    assert membership.person.name in page


def test_member_page_is_masked_and_shows_history(clerk_client, world):
    membership = world.member("union_a")
    page = clerk_client.get(reverse("console:member_detail", args=[membership.pk])).content.decode()
    assert membership.person.id_number.reveal() not in page
    assert str(membership.person.id_number) in page
    assert "变更记录" in page and "创建" in page


def test_the_membership_trail_shows_each_union_from_the_day_the_person_came(client, world):
    import re

    from django.utils import timezone

    from gonghui.members import services

    # Given a member since 2020-05-01 of union A, transferred to union B today,
    membership = world.member("union_a")
    transfer = services.transfer_request(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        to_union=world.union_b,
        reason="调动",
    )
    services.transfer_decide(actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True)
    today = f"{timezone.localdate():%Y-%m-%d}"
    client.force_login(world.staff("city", "clerk"))
    page = client.get(reverse("console:member_detail", args=[membership.pk])).content.decode()
    trail = re.search(r'data-testid="membership-path">(.*?)</ol>', page, re.S).group(1)
    # Then the trail reads B from today on, after A up to today: no two periods overlap.
    entries = [re.sub(r"<[^>]+>|\s+", " ", li).strip() for li in trail.split("<li>")[1:]]
    assert entries[0].startswith(f"{world.union_b.name} · {today} 转入 — 至今")
    assert entries[1].startswith(f"{world.union_a.name} · 2020-05-01 — {today}")


def test_export_is_masked_unless_a_reason_is_given_and_then_logged(clerk_client, world):
    from io import BytesIO

    from openpyxl import load_workbook

    members = [world.member("union_a") for _ in range(3)]
    response = clerk_client.get(reverse("console:member_list"), {"format": "xlsx"})
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    numbers = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all("*" in n for n in numbers)
    assert PersonalDataAccess.unscoped.count() == 0
    response = clerk_client.get(
        reverse("console:member_list"), {"format": "xlsx", "unmasked": "1", "reason": "report"}
    )
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    numbers = {row[3] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert numbers == {m.person.id_number.reveal() for m in members}
    assert PersonalDataAccess.unscoped.filter(channel="export").count() == 6


def test_bad_input_on_the_member_form_is_shown_at_the_field(clerk_client, world):
    response = clerk_client.post(
        reverse("console:member_create"),
        {
            "union": world.union_a.pk,
            "name": "张三<script>",
            "id_number": "330402199002301234",
            "mobile": "1380013800",
            "joined_on": "2024-01-01",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "不能包含 HTML" in page
    assert "身份证号" in page and ("校验位" in page or "出生日期" in page)
    assert "中国大陆手机号码" in page
    assert "未保存任何数据" in page
    assert Person.unscoped.count() == 0


def test_enterprise_form_bad_credit_code(client, world):
    client.force_login(world.staff("town_a", "clerk"))
    response = client.post(
        reverse("console:enterprise_create"),
        {
            "name": "测试公司",
            "credit_code": "91330402MA2B3C4D5X",
            "industry": "C",
            "employee_count": "10",
            "area": world.town_a.pk,
        },
    )
    assert "统一社会信用代码" in response.content.decode()
    assert "校验位" in response.content.decode() or "格式" in response.content.decode()


def test_import_flow_in_the_console(client, world, django_capture_on_commit_callbacks):
    from gonghui.testing.sheets import xlsx_upload

    client.force_login(world.staff("town_a", "clerk"))
    rows = [["钱七", new_id_number(), new_mobile(), "UNION_a", "2024-01-02", "", ""]]
    response = client.post(
        reverse("console:import_list"), {"kind": "members", "file": xlsx_upload(rows)}
    )
    job_url = response["Location"]
    job_id = int(job_url.rstrip("/").split("/")[-1])
    assert "hx-post" in client.get(job_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:import_start", args=[job_id]), HTTP_HX_REQUEST="true")
    page = client.get(job_url).content.decode()
    assert "校验通过" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:import_start", args=[job_id]), {"confirm": "1"})
    page = client.get(job_url).content.decode()
    assert "导入完成" in page
    assert Person.unscoped.filter(name="钱七").exists()
    progress = client.get(reverse("console:import_progress", args=[job_id]))
    assert progress["HX-Refresh"] == "true"


def test_template_lists_only_unions_in_scope(client, world):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(world.staff("town_a", "clerk"))
    response = client.get(reverse("console:import_template", args=["members"]))
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[0] == "导入数据"
    codes = [row[0] for row in workbook["工会编码"].iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == ["UNION_a", "UNION_a2"]


# --- portal -----------------------------------------------------------------------------------


def test_worker_signs_in_with_a_code_and_sees_the_card(
    client, world, outbox, django_capture_on_commit_callbacks
):
    mobile = new_mobile()
    membership = world.member("union_a", mobile=mobile)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:send_code"), {"otp-mobile": mobile})
    response = client.post(
        reverse("portal:login"), {"mode": "otp", "otp-mobile": mobile, "otp-code": sms_code(outbox)}
    )
    assert response["Location"] == "/m/"
    # The first sign-in asks for consent to the privacy notice before any page.
    response = client.get(reverse("portal:card"))
    assert response["Location"].startswith(reverse("portal:privacy"))
    client.post(response["Location"], {"version": "2026-12", "agree": "1"})
    page = client.get(reverse("portal:card")).content.decode()
    assert membership.card_number in page and "<svg" in page
    token = card.card_token(membership)
    client.logout()
    verify = client.get(reverse("portal:card_verify", args=[token])).content.decode()
    assert "有效会员" in verify and membership.person.name not in verify
    assert membership.person.name[0] + "*" in verify
    assert (
        "已过期" in client.get(reverse("portal:card_verify", args=["bad-token"])).content.decode()
    )


def test_wrong_code_keeps_the_worker_out(client, world, outbox, django_capture_on_commit_callbacks):
    mobile = new_mobile()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:send_code"), {"otp-mobile": mobile})
    response = client.post(
        reverse("portal:login"), {"mode": "otp", "otp-mobile": mobile, "otp-code": "000000"}
    )
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert client.get(reverse("portal:home")).status_code == 302


def test_worker_applies_to_join_and_sees_it_in_the_inbox(client, world):
    worker = world.worker()
    client.force_login(worker)
    response = client.post(
        reverse("portal:join"),
        {"union": world.union_b.pk, "employer_name": "B号机械有限公司", "note": ""},
    )
    application = JoinApplication.unscoped.get(person=worker.person)
    assert response["Location"] == reverse("portal:join_detail", args=[application.pk])
    inbox = client.get(reverse("portal:inbox")).content.decode()
    assert "申请加入" in inbox and world.union_b.name in inbox and "待审批" in inbox


def test_join_without_choosing_a_union_is_explained(client, world):
    client.force_login(world.worker())
    response = client.post(reverse("portal:join"), {"union": "", "employer_name": "x"})
    assert "请先查找并选择要加入的工会" in response.content.decode()


def test_staff_are_sent_to_the_console_and_workers_to_the_portal(client, world):
    client.force_login(world.staff("city"))
    assert client.get("/")["Location"] == reverse("console:home")
    assert client.get(reverse("portal:home"))["Location"] == reverse("console:home")
    client.force_login(world.worker())
    assert client.get(reverse("console:home"))["Location"] == reverse("portal:home")


def test_staff_login_page_refuses_worker_accounts(client, world):
    response = client.post(
        reverse("accounts:login"), {"username": "district_a-clerk", "password": PASSWORD}
    )
    assert response.status_code == 302
    client.logout()
    worker = world.worker()
    worker.set_password("worker-pass-1")
    worker.save()
    response = client.post(
        reverse("accounts:login"), {"username": worker.username, "password": "worker-pass-1"}
    )
    assert "职工账号" in response.content.decode()


def test_demo_accounts_are_listed_only_in_demo_mode(client, settings, db):
    assert "演示账号" not in client.get(reverse("accounts:login")).content.decode()
    settings.GONGHUI_DEMO = True
    assert "演示账号" in client.get(reverse("accounts:login")).content.decode()


def test_list_total_is_cached_until_members_change(
    clerk_client, world, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def view():
        with CaptureQueriesContext(connection) as queries:
            page = clerk_client.get(reverse("console:member_list")).content.decode()
        roll = 'COUNT(*) AS "__count" FROM "members_membership"'
        counts = [q for q in queries if roll in q["sql"]]
        return page, len(counts)

    for _ in range(3):
        world.member("union_a")
    page, counted = view()
    assert "共 3 条" in page and counted == 1
    page, counted = view()
    assert "共 3 条" in page and counted == 0  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        world.member("union_a")
    page, counted = view()
    assert "共 4 条" in page and counted == 1


def test_portal_sign_in_page_opens_without_errors(client, db):
    page = client.get(reverse("portal:login")).content.decode()
    assert "职工登录" in page and "必填" not in page and "标红" not in page
