"""Every write of casework. Callers import the submodule they need: cases (opening and the
transitions), routing (who handles a case), materials, sweep (the overdue sweep), deadlines
(recounted after a calendar change), mediation, legal_aid, counselling."""
