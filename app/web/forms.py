"""Forms shared by every page."""
from flask_wtf import FlaskForm


class PostButtonForm(FlaskForm):
    """An empty form that only carries the CSRF token (logout, revoke)."""
