"""What the work and training module tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# Enrolled on a course by a clerk, or the course's outcome (结业 or not).
TRAINING_KIND = NotificationKind("employment.training", _("技能培训"), optional=True)
TRAINING = TRAINING_KIND.code
