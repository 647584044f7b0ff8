"""Helpers for testing and benchmarking the skill without Amazon: a local PKI and request signer."""
