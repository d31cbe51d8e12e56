"""Phrase search: a function giving a search vector's bigrams, and a GIN index of them."""

import django.contrib.postgres.indexes
from django.db import migrations, models

import incidents.search

# Pairs of lexemes at adjacent positions ('wait room'); positions as the vector keeps them, so
# that a pair is there exactly when a phrase query's <-> between the two can hold.
BIGRAMS = """
CREATE FUNCTION vcwatch_bigrams(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)), ''::tsvector)
  FROM (SELECT lexeme, unnest(positions) AS pos FROM unnest(v)) AS a
  JOIN (SELECT lexeme, unnest(positions) AS pos FROM unnest(v)) AS b ON b.pos = a.pos + 1
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_api_orderings"),
    ]

    operations = [
        migrations.RunSQL(BIGRAMS, reverse_sql="DROP FUNCTION vcwatch_bigrams(tsvector)"),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                incidents.search.Bigrams(models.F("search_vector")), name="article_phrase_idx"
            ),
        ),
    ]
