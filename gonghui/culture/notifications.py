"""What culture tells the worker (imported by ``CultureConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import register_kind

# Draw results and cancelled sessions.
BOOKING = register_kind("culture.booking", _("课程预约结果"), optional=True).code
# A freed seat offered until a deadline that may be a few hours away: not held for the quiet
# hours.
OFFER = register_kind("culture.offer", _("课程递补名额"), optional=True, urgent=True).code
