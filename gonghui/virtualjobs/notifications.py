"""What the virtual-jobs module tells the worker (listed in ``module.py``)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.notification_kinds import NotificationKind

# The household's post was adopted, passed to another adopter, suspended, resumed or ended.
POST_KIND = NotificationKind("virtualjobs.post", _("虚拟岗位"), optional=True)
POST = POST_KIND.code
