"""Benchmarks: Gatehouse's cost per request against plain Flask, Flask-Login and
Flask-JWT-Extended, the refresh path's scaling with the token table, and a load run."""
