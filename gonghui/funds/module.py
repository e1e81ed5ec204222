"""What the funds module adds: funds, their ledgers and incomes, and payment batches that
pay what other modules hand over (assistance grants, virtual-job pay, mutual-aid claims)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import Figure, HomeTile, MenuEntry, MenuSection, Module
from gonghui.funds import notifications, selectors

module = Module(
    name="funds",
    label=_("资金管理"),
    urls="gonghui.funds.urls",
    api_routers=(
        ("/funds", "gonghui.funds.api.router"),
        ("/payments", "gonghui.funds.api.payments_router"),
    ),
    sections=(MenuSection("funds", _("资金管理"), 70),),
    menu=(
        MenuEntry("funds", "funds", _("基金与流水"), "console:fund_list", "bi-piggy-bank", 10),
        MenuEntry(
            "raised_paid",
            "funds",
            _("筹集与发放"),
            "console:fund_raised_paid",
            "bi-bar-chart-line",
            15,
        ),
        MenuEntry(
            "payables",
            "funds",
            _("待发放款项"),
            "console:payable_list",
            "bi-cash-coin",
            20,
        ),
        MenuEntry(
            "batches",
            "funds",
            _("发放批次"),
            "console:batch_list",
            "bi-bank",
            30,
            badge=selectors.batches_waiting,
            badge_topic="funds",
        ),
    ),
    home_tiles=(
        HomeTile(
            "batches",
            _("待审批的发放批次"),
            "console:batch_list",
            selectors.batches_waiting,
            query="status=pending",
            topic="funds",
            perm="approve",
            order=70,
        ),
    ),
    notifications=(notifications.PAYMENT_KIND,),
    figures=(
        Figure(
            "funds.raised",
            _("筹集资金"),
            _("元"),
            selectors.incomes_in,
            value=selectors.raised_in,
            order=70,
            dated_by="received_on",
        ),
        Figure(
            "funds.paid",
            _("发放资金"),
            _("元"),
            selectors.lines_paid_in,
            value=selectors.paid_in,
            order=71,
            dated_by="paid_on",
        ),
    ),
)
