"""Clients for every outside service; none of them imports Home Assistant."""
