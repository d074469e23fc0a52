"""Tests of the fleet_telemetry source."""
