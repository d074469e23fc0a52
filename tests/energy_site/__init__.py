"""Cloud energy site tests."""
