"""What culture tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# Draw results and cancelled sessions.
BOOKING_KIND = NotificationKind("culture.booking", _("课程预约结果"), optional=True)
BOOKING = BOOKING_KIND.code
# A freed seat offered until a deadline that may be a few hours away: not held for the quiet
# hours.
OFFER_KIND = NotificationKind("culture.offer", _("课程递补名额"), optional=True, urgent=True)
OFFER = OFFER_KIND.code
