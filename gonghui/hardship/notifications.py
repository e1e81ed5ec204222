"""What the hardship module tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# The decision on the worker's hardship file (on the roll, or refused with the reason).
FILE_KIND = NotificationKind("hardship.file", _("困难职工档案"))
FILE = FILE_KIND.code
