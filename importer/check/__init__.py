"""Checking cells: cell checks, sheet rules, the users sheet, names, ConfigMgr's rules."""
