"""Drift: how two recordings of one endpoint differ in shape, and how much that matters.

Owns: reducing bodies to shapes (`shape`), what the schema says about a path: required,
constrained, closed or open set (`schema`), classifying each change as breaking, risky,
additive or noise (`classify`, `events` for a stream's frame), pairing the interactions
of two recordings and reading them from disk (`pairing`), the one `Finding` type and its
JSON form (`findings`), the `--alter` specs that replay a drift (`as_alterations`), and
what an endpoint's schemas guarantee at a path a consumer reads (`guarantees`).

May import: cassettes, contract, project, errors, files, jsonpath.
"""
