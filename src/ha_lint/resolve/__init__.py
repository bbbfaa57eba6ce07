"""Resolve loaded documents into resources with values as the deployment would see them."""
