"""Tests of the tesla_account source."""
