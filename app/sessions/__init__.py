"""Login sessions and their tokens.

- ``tokens``: pure JWT issue and verify (key ring, issuer and clock passed in, no request);
- ``keys``: the signing keys, generated, rotated and loaded from the instance secrets;
- ``authority``: binds the keys and settings of one app to ``tokens``;
- ``store``: ``SessionStore``, the only writer of login sessions (one row each: rotation by
  compare-and-set, lost answers, reuse, revocation, retention);
- ``revocation``: the list of revoked sessions every worker checks without SQL.
"""
