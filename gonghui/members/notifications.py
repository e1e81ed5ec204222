"""What the members module tells the worker (imported by ``MembersConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import register_kind

# The outcome of a request to join or to transfer: always by SMS as well.
DECISION = register_kind("members.decision", _("入会与转会审批结果")).code
