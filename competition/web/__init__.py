"""The HTML pages of the evalbox site (the JSON API lives in ``competition.api``)."""
