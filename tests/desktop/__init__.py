"""Tests for ShareSafe; fixtures are generated in code."""
