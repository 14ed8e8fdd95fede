"""Reports for people: the run's HTML page (and, later, the monthly review in Excel)."""
