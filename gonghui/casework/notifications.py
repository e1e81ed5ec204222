"""What casework tells the worker (imported by ``CaseworkConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import register_kind

# Whether the case is taken up, finished or refused: always by SMS as well.
DECISION = register_kind("casework.decision", _("服务事项受理与办结")).code
# Where the case is on its way (referred, escalated, material added): the worker may keep
# these in the app only.
PROGRESS = register_kind("casework.progress", _("服务事项办理进度"), optional=True).code
