"""The merchant's backoffice (sqladmin), mounted at /admin."""
