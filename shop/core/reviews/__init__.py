"""reviews domain."""
