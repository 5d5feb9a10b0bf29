"""Install tests: the HACS artifact in a real Home Assistant process."""
