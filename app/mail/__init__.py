"""Outgoing mail.

- ``delivery``: messages rendered from templates and handed to SMTP or the console.
"""
