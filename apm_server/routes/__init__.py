"""The routes of API v1, by who calls them: kiosks, the village office, the district."""
