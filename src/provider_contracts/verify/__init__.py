"""Verify: every interaction of an endpoint's recordings against its contract, offline or
live, gathered into one result object that the reports render and the gate judges.

May import: live, replay, drift, cassettes, contract, project, errors, files, jsonpath.
"""
