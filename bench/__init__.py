"""Benchmarks: they build large data on PostgreSQL and print figures; they assert nothing."""
