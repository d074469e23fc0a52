"""Config flow steps, one module per source; config_flow.py composes them into one flow."""
