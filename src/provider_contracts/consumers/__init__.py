"""Consumers: what one consumer (the gateway) reads of each provider answer.

Owns: the consumer model (`contracts/consumers/NAME.yaml`: per endpoint, the paths read
and what is relied on at each, with the tests that showed it), reading and writing it
(learned entries merged, hand-written ones kept), checking it against the contracts,
learning it by mutating replayed answers, and telling whether a finding's path is read.

May import: replay, drift, cassettes, project, contract, jsonpath, files, errors.
"""
