"""Project wiring: settings, URLs, WSGI entrypoint and the schedule of periodic jobs."""
