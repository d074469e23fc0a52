"""Custom integrations of this repository (makes our package win over the test plugin's)."""
