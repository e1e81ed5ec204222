"""Test support: a small union tree with two sibling branches, built through the services."""
