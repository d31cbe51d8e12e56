"""Column sizes of a stored article, in one place: the model declares its columns with them, and
ingestion cuts what it extracts to fit (parsing and extraction run in sandboxed children that
do not load the ORM, hence plain constants)."""

ARTICLE_URL_MAX = 2048
ARTICLE_TITLE_MAX = 500
ARTICLE_AUTHOR_MAX = 300
ARTICLE_PUBLISHER_MAX = 200
