"""Text intelligence: classify and route messages, one-sentence intake, hot issues, duplicates by meaning.

The ML code is pure (no Django) in classifier, text, similarity, hot_issues and sentence; the cases
domain calls it through `gridgov.intelligence.interface`, never the modules directly.
"""
