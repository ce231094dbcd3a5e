"""Scorers: models that predict spans, sentence scores and sentiment for documents."""
