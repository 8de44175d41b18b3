"""Replay: recorded interactions served back to clients, over HTTP or in-process.

Owns: matching a request to a recorded interaction, playback (the recorded answer as
bytes and events), the httpx transports for tests, the loopback replay server
(`contracts serve`) and the alterations that bend its answers.

May import: drift, cassettes, contract, project, errors, files, jsonpath.
"""
