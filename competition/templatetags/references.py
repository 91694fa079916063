"""``{% load references %}``: image references that wrap at sensible points."""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

#: After these a long reference may wrap: ``registry/ team/ model: tag@ sha256: ...``
#: (``static/js/submissions.js`` redraws the participant's rows with the same rule).
_BREAK_AFTER = re.compile(r"([/:@])")


@register.filter
def breakable(value: object) -> SafeString:
    """``value``, escaped, with a line-break opportunity (``<wbr>``) after each ``/``, ``:`` and ``@``."""
    return mark_safe(_BREAK_AFTER.sub(r"\1<wbr>", str(conditional_escape(value))))
