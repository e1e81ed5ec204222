"""The demo city builds through the services, and shows the figures the source quotes."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from gonghui.accounts.models import User
from gonghui.casework.documents import agreement_pdf
from gonghui.casework.models import Case, CounsellingSlot, Lawyer
from gonghui.core.crypto import blind_index
from gonghui.culture import draw
from gonghui.culture.models import (
    Booking,
    ClassSession,
    Course,
    CultureEvent,
    Mentor,
    MenuOrder,
)
from gonghui.demo import checks
from gonghui.demo.accounts import demo_accounts, demo_contacts
from gonghui.members.models import MOBILE_PURPOSE, Membership
from gonghui.organizations.models import Enterprise, Organization
from gonghui.unionbuilding.selectors import coverage_report

pytestmark = pytest.mark.django_db


def test_demo_city(capsys, settings, tmp_path):
    # A VAR_DIR of its own, so the check below sees only what this load left there.
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", members=600)
    # The checks a reviewer's findings became (gonghui.demo.checks; ``manage.py check_demo``
    # runs them on the full demo): each finds nothing.
    assert checks.run_all() == {name: [] for name in checks.CHECKS}
    assert Organization.unscoped.filter(kind="district").count() == 7
    assert Organization.unscoped.filter(kind="town").count() == 74
    for name in ("凤桥镇总工会", "新丰镇总工会", "新兴街道总工会", "东栅街道总工会"):
        assert Organization.unscoped.filter(name=name).exists()
    for name in ("桐昆集团股份有限公司", "嘉兴敏惠汽车零部件有限公司", "浙江雅莹集团有限公司"):
        assert Enterprise.unscoped.get(name=name).union is not None
    assert Membership.unscoped.filter(status="active").count() > 500
    # One account per role at each level, all working.
    for username in ("jx-admin", "nanhu-clerk", "fengqiao-reviewer", "minhui-leader"):
        assert User.objects.get(username=username).check_password("gonghui2018")
    # Fengqiao: 35 homes of 41 grassroots unions, as the source says (85%).
    fengqiao = Organization.unscoped.get(name="凤桥镇总工会")
    admin = User.objects.get(username="jx-admin")
    report = coverage_report(actor=admin, org=fengqiao)
    assert (report.homes, report.grassroots) == (35, 41)
    assert report.home_rate == Decimal("0.8537")
    # Demo workers can sign in; their numbers are listed on the sign-in page.
    listed = demo_accounts()
    assert {w["mobile"] for w in listed["workers"]} >= {"13957300001", "13957300004"}
    # Two enterprise contacts, invited by their unions, listed on the enterprise sign-in page.
    contacts = User.objects.filter(kind="enterprise").select_related("enterprise")
    assert sorted(c.enterprise.name for c in contacts) == sorted(
        c["enterprise"] for c in demo_contacts()
    )
    assert {c.enterprise.name for c in contacts} >= {"桐昆集团股份有限公司"}
    # A year of casework through the services: handled, rated, closed by the sweep, and some
    # still open today.
    cases = Case.unscoped.all()
    assert cases.count() > 57
    assert {"closed", "accepted", "submitted"} <= set(cases.values_list("state", flat=True))
    assert cases.filter(rating__isnull=False).exists()
    assert cases.filter(auto_closed=True).exists()
    # A demo worker's mediation reached an agreement, printable as PDF, and awaits her rating.
    wang = blind_index("13957300003", purpose=MOBILE_PURPOSE)
    mediation = Case.unscoped.get(person__mobile_hash=wang, service_type__code="mediation")
    assert mediation.state == "resolved"
    assert agreement_pdf(mediation.mediation).startswith(b"%PDF")
    # Legal-aid lawyers at every district; a counsellor who signs in, with booked slots.
    for district in Organization.unscoped.filter(kind="district"):
        assert Lawyer.unscoped.filter(organization=district).count() == 3
    counsellor = User.objects.get(username="nanhu-counsellor")
    assert counsellor.check_password("gonghui2018")
    slots = CounsellingSlot.objects.filter(counsellor__user=counsellor)
    assert slots.filter(person__isnull=False).exists()
    assert "nanhu-counsellor" in listed["pattern"]
    # A term of classes through the culture services: the catalogue in all five series, city
    # and town sessions booked, full ones with waiting lists, check-ins and no-shows, finished
    # lotteries whose published record re-runs, one lottery open for sign-up now.
    assert set(Course.unscoped.values_list("series__code", flat=True)) >= {
        "yinling",
        "xingxiang",
        "qingqu",
        "jiaju",
        "caiyi",
    }
    assert Mentor.unscoped.count() >= 10 and CultureEvent.unscoped.count() >= 12
    states = set(Booking.unscoped.values_list("state", flat=True))
    assert {"attended", "no_show", "booked", "cancelled", "entered"} <= states
    assert states & {"waiting", "unreached"}
    drawn = ClassSession.unscoped.filter(mode="lottery", drawn_at__isnull=False)
    assert drawn.exists()
    # each against the commitment and the entrant digest its page published before the draw
    assert all(draw.verify(s.draw_record, s.commitment, s.entrants_digest) == [] for s in drawn)
    assert all(s.entrants_frozen_at and s.entrants_frozen_at <= s.drawn_at for s in drawn)
    assert ClassSession.unscoped.filter(
        mode="lottery", drawn_at__isnull=True, bookings__state="entered"
    ).exists()
    assert ClassSession.unscoped.exclude(organization__kind="city").exists()  # towns' own
    # The city's yearly menu, ordered by units, decided and (what was due) delivered.
    orders = set(MenuOrder.unscoped.values_list("state", flat=True))
    assert {"submitted", "approved", "delivered", "rejected"} <= orders
    # A second run leaves the data alone.
    call_command("load_demo", if_empty=True)
    assert "跳过" in capsys.readouterr().out
