"""shipping domain."""
