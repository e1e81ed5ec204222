"""What the assistance module tells the worker (listed in ``module.py``). Payments are told
by the funds module (``funds.payment``), which pays the approved applications."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# Each decision on an application (a tier's approval, the final approval, a refusal), and an
# application a clerk entered for the worker: always by SMS as well.
DECISION_KIND = NotificationKind("assistance.decision", _("帮扶申请审核"))
DECISION = DECISION_KIND.code
