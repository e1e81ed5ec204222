"""What the members module tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# The outcome of a request to join or to transfer: always by SMS as well.
DECISION_KIND = NotificationKind("members.decision", _("入会与转会审批结果"))
DECISION = DECISION_KIND.code
