"""The contract: what an endpoint promises and whether one response keeps the promise.

Owns: the registry of providers and endpoints (manifests and endpoint contracts read
from `contracts/`), schemas and their compiled validators, the body model, SSE parsing,
stream contracts, semantic rules, violations as data, and validating one response.

May import: errors, files, jsonpath. Nothing here knows about cassettes, servers or the
network: every other room builds on this one.
"""
