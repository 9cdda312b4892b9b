"""The domain: models and the services that change them. No web imports here."""
