"""A policy-as-code checker for Supabase / PostgreSQL migrations."""

__version__ = "0.1.0"
