"""Data model, corpus loading and splitting."""
