"""Portico's CDK constructs: one stack per stage (see portico.py)."""
