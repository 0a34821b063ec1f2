"""The database: typed models, engine wiring, and the migrations that build the schema.

- ``models``: the SQLAlchemy models; ``engine``: engine options and ``flask init-db``;
- ``schema``: upgrading to the newest migration safely while several workers start.
"""
