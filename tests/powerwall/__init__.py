"""Tests of the powerwall source."""
