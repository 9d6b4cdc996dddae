"""Advice out: CDS Hooks cards, their wording, suggestions and ids."""
