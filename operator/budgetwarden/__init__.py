"""budgetwarden: run services by their SLOs on Kubernetes."""

__version__ = "0.1.0"
