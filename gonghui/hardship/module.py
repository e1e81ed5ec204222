"""What the hardship module adds: the roll of households in hardship (AST-1)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import Module

module = Module(name="hardship", label=_("困难职工档案"))
