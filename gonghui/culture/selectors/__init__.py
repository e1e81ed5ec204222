"""Every read of the culture app, scoped to the actor. Callers import the submodule they
need: booking (sessions and bookings), catalogue (courses, mentors, venues, events, the
calendar), menu, figures."""
