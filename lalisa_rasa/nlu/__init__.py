"""Custom NLU components for the La-Lisa pipeline."""
