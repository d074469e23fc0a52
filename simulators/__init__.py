"""Local stand-ins for the outside services, for tests and the bench; loopback only."""
