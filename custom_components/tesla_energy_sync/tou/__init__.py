"""Turn price feeds into Tesla time-of-use tariffs; pure code, no Home Assistant import."""
