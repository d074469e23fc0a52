"""Tests of the amber source."""
