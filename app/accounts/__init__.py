"""The account rules: who may sign in, with which password, and what happened to the account.

- ``credentials``: checking an email and password the same way for every entry point;
- ``passwords``: argon2id hashing; ``policy``: which new passwords are accepted;
- ``links``: single-use links sent by mail (reset, confirmation);
- ``events``: security events, logged and kept for the activity list;
- ``operations``: ``AccountOperations``, account changes and their sessions in one transaction.
"""
