"""Drift: how two recordings of one endpoint differ in shape, and how much that matters.

Owns: reducing bodies to shapes, what the schema says about a path (required,
constrained, closed enum), classifying each change (breaking, risky, additive, noise),
and pairing the interactions of two recordings.

May import: cassettes, contract, project, errors, files, jsonpath.
"""
