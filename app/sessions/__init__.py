"""Login sessions and their tokens.

- ``tokens``: pure JWT issue and verify (key ring, issuer and clock passed in, no request);
- ``keys``: the signing keys, generated, rotated and loaded from the instance secrets;
- ``authority``: binds the keys and settings of one app to ``tokens``;
- ``store``: the only writer of login sessions and refresh tokens (rotation, reuse, revocation);
- ``revocation``: the list of revoked sessions every worker checks without SQL.
"""
