"""docgen: JSON in, signed-off PDF bundles out, for German municipal administrations."""

__version__ = "0.1.0"
