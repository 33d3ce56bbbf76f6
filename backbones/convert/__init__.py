"""Checkpoint conversion helpers (official layouts -> project layouts) and the equivalence-fixture recipe."""
