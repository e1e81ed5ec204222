"""Every write of the culture app. Callers import the submodule they need: sessions
(publishing, cancelling), booking (bookings, waiting lists, offers), lottery (freeze, draw,
record), attendance (check-in, no-shows), rules (the published rule and a worker's standing),
sweep (the periodic job), menu (the yearly menu and its orders), catalogue (courses, mentors,
venues, events, the calendar feed)."""
