"""Coordinators: one per polled source, all built on TesCoordinator."""
