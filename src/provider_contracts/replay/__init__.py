"""Replay: recorded interactions served back to clients, over HTTP or in-process.

Owns: matching a request to a recorded interaction (one matcher, a strict policy for
the transports and a lenient one for the server), playback (the recorded answer as bytes
and events), the transports for tests (httpx and httpx2, sync and async), the loopback
replay server (`contracts serve`: `server` chooses, `handler` speaks HTTP), the
alterations that bend answers (`alterations` parses, `altered` applies), faults in the
provider's envelope (`faults`), provider state (`state`: list pages, idempotency) and
named scenarios (`scenarios`).

May import: drift, cassettes, contract, project, errors, files, jsonpath.
"""
