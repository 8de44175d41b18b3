"""Live: calls to the real providers, and what is kept of their answers.

Owns: probes (the cheapest request per endpoint), credentials, the caller with its
retries and deadlines, recording a provider (`contracts record`), and forwarding a test's
requests to the provider in the plugin's live mode.

May import: replay, drift, cassettes, contract, project, errors, files, jsonpath.
"""
