"""Types for user-facing text."""

from django.utils.functional import Promise

# A message as code holds it: a string, or a lazy translation resolved when displayed.
StrOrPromise = str | Promise
