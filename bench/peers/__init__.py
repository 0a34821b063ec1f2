"""Three comparison sites that serve the same ``/account`` page as Gatehouse.

Each peer renders the project's own ``templates/account/index.html`` (and its ``base.html``)
through the same endpoint names, so every app in the benchmark produces the same page:
the nav with the logout button, its CSRF field, the email and the language footer.

- ``floor``:   plain Flask, no authentication at all (the lower bound).
- ``login``:   Flask-Login with Flask-SQLAlchemy and the usual ``user_loader``.
- ``jwt_ext``: Flask-JWT-Extended in cookie mode with its documented implicit refresh.
"""
