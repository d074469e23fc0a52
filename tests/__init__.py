"""Tests for Tesla Energy Sync."""
