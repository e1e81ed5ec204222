"""Every write of the culture app. A package: booking (sessions, bookings, the lottery,
check-in, the rule), menu (the yearly menu and its orders), catalogue (courses, mentors,
venues, events, the calendar feed)."""

from gonghui.culture.services.booking import *  # noqa: F403
from gonghui.culture.services.catalogue import *  # noqa: F403
from gonghui.culture.services.menu import *  # noqa: F403
