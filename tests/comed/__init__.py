"""Tests of the comed source."""
