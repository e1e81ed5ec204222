"""What members add: the roll, joining and transfers, the member card."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import (
    BenchScenario,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    MenuSection,
    Module,
    PortalTile,
)
from gonghui.members import notifications, selectors

module = Module(
    name="members",
    label=_("会员"),
    urls="gonghui.members.urls",
    api_routers=(("/me", "gonghui.members.api.worker_router"), ("/", "gonghui.members.api.router")),
    sections=(MenuSection("members", _("会员"), 20),),
    menu=(
        MenuEntry("members", "members", _("会员名册"), "console:member_list", "bi-people", 10),
        MenuEntry(
            "joins",
            "members",
            _("入会审批"),
            "console:join_list",
            "bi-person-plus",
            20,
            badge=selectors.pending_joins,
            badge_topic="members",
        ),
        MenuEntry(
            "transfers",
            "members",
            _("会员转接"),
            "console:transfer_list",
            "bi-arrow-left-right",
            30,
            badge=selectors.pending_transfers_in,
            badge_topic="members",
        ),
    ),
    home_tiles=(
        HomeTile(
            "joins",
            _("待审批的入会申请"),
            "console:join_list",
            selectors.pending_joins,
            topic="members",
            perm="decide_membership",
            order=10,
        ),
        HomeTile(
            "transfers",
            _("待接收的会员转接"),
            "console:transfer_list",
            selectors.pending_transfers_in,
            topic="members",
            perm="decide_membership",
            order=20,
        ),
    ),
    portal_tiles=(
        # A member is offered the transfer and the card, a worker not yet in a union joining.
        PortalTile(
            "join",
            _("申请入会"),
            "portal:join",
            "bi-person-plus",
            order=10,
            visible=selectors.user_is_not_member,
        ),
        PortalTile(
            "transfer",
            _("会员转接"),
            "portal:transfer",
            "bi-arrow-left-right",
            order=20,
            visible=selectors.user_is_member,
        ),
        PortalTile(
            "card",
            _("电子会员卡"),
            "portal:card",
            "bi-person-vcard",
            order=90,
            visible=selectors.user_is_member,
        ),
    ),
    notifications=(notifications.DECISION_KIND,),
    inbox=(
        InboxKind("join", _("入会申请"), "gonghui.members.inbox.join_items"),
        InboxKind("transfer", _("会员转接"), "gonghui.members.inbox.transfer_items"),
    ),
    bench=(
        BenchScenario(
            "members",
            "bench.members.main",
            help="the member import, the member list and the look-up by ID number",
            order=10,
        ),
    ),
    figures=(
        Figure(
            "members.in_force",
            _("在册会员"),
            _("人"),
            selectors.members_at_year_end,
            order=10,
        ),
        Figure(
            "members.joined",
            _("新入会会员"),
            _("人"),
            selectors.members_joined_in,
            order=20,
            dated_by="joined_on",
        ),
    ),
)
