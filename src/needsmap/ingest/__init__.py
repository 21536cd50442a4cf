"""Parsers for each publisher's file. Every parser records a load report."""
