"""Mutation testing of the reference implementation (docs/mutation.md)."""
