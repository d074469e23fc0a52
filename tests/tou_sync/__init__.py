"""Tests of the tou_sync source."""
