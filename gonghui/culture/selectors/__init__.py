"""Every read of the culture app, scoped to the actor. A package: booking (sessions and
bookings), catalogue (courses, mentors, venues, events, the calendar), menu."""

from gonghui.culture.selectors.booking import *  # noqa: F403
from gonghui.culture.selectors.catalogue import *  # noqa: F403
from gonghui.culture.selectors.menu import *  # noqa: F403
