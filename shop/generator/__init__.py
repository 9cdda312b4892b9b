"""The static storefront generator: catalog -> pages -> public/."""
