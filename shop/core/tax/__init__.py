"""tax domain."""
