"""What the mutual-aid module tells the worker (listed in ``module.py``). Payments are told
by the funds module (``funds.payment``), which pays the approved claims."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# Each step of a claim: submitted (by the worker or for them), approved (automatically or by
# a reviewer), adjusted, refused.
CLAIM_KIND = NotificationKind("mutualaid.claim", _("互助理赔进度"))
CLAIM = CLAIM_KIND.code
