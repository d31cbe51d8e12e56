"""Article ingestion: from a news source's URL to a stored article."""
