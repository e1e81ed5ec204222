"""What the funds module tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# A payment made to the worker, or one the bank returned (it will be paid again).
PAYMENT_KIND = NotificationKind("funds.payment", _("款项发放"))
PAYMENT = PAYMENT_KIND.code
