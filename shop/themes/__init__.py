"""Themes shipped with shop; `default` is the base every store theme extends."""
