"""Tests of the data sources (cboe, flashalpha, file, demo) against a loopback server."""
