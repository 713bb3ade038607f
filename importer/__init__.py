"""Bulk importer for ConfigMgr computer associations (SMS_StateMigration)."""

__version__ = "0.1.0"
