"""Benchmarks (issue 6): run them with `python manage.py bench`; see bench/harness.py."""
