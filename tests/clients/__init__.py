"""Tests of the service clients against the local simulators."""
