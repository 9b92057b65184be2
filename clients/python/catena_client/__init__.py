"""Catena's Python client: `Client` (a node's API: transactions for every system-contract
method, reads signed where a chain asks it, events decoded, state proofs checked), `Key`
(ed25519, from `cryptography`), `Schema` (SCALE driven by the node's `GET /schema`), and
`evidence` (the independent verifier of evidence bundles, standard library only).

Only `client` needs a package beyond the standard library (`cryptography`, for signing); the
evidence verifier and the codec import without it.
"""

from .scale import Schema, ScaleError

__all__ = ["Schema", "ScaleError"]
