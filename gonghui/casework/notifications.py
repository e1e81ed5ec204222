"""What casework tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# Whether the case is taken up, finished or refused: always by SMS as well.
DECISION_KIND = NotificationKind("casework.decision", _("服务事项受理与办结"))
DECISION = DECISION_KIND.code
# Where the case is on its way (referred, escalated, material added): the worker may keep
# these in the app only.
PROGRESS_KIND = NotificationKind("casework.progress", _("服务事项办理进度"), optional=True)
PROGRESS = PROGRESS_KIND.code
