"""Every write of the culture app. Callers import the submodule they need: booking
(sessions, bookings, the lottery, check-in, the rule), menu (the yearly menu and its orders),
catalogue (courses, mentors, venues, events, the calendar feed)."""
