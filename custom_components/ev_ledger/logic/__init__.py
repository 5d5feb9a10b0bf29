"""Pure, deterministic ledger engine.

Nothing here imports Home Assistant, SQLAlchemy or psycopg, reads the clock or does
I/O: every input carries its own timestamp. tests/test_layering.py enforces it.
"""
