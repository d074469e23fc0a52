"""Tests of the wall_connector source."""
