"""Hardening helpers: a loopback HTTP server and the bad-input corpus generator."""
