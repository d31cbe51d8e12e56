"""Phrase search: each article's adjacent lexeme pairs, stored and indexed (incidents.search_phrases).

A pair's key is its hash in 2^18 buckets (PAIR_BUCKETS): on a million articles an index of the
pairs themselves was 2.2 GB, this one is 0.7 GB (the word index: 0.43 GB). hashtext() is the
hash PostgreSQL's own hash indexes use on text, kept stable across versions for them.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models

FUNCTIONS = """
CREATE FUNCTION tsvector_pair_key(a text, b text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN hashtext(a || ' ' || b) & 262143;

-- Every lexeme with every lexeme one position later (several can share a position).
CREATE FUNCTION tsvector_pair_keys(v tsvector) RETURNS integer[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    WITH words AS (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p)
    SELECT coalesce(array_agg(DISTINCT tsvector_pair_key(a.lexeme, b.lexeme)), '{}')
    FROM words AS a JOIN words AS b ON b.p = a.p + 1;
END;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_api_orderings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            FUNCTIONS,
            reverse_sql="DROP FUNCTION tsvector_pair_keys(tsvector); "
            "DROP FUNCTION tsvector_pair_key(text, text);",
        ),
        migrations.AddField(
            model_name="article",
            name="search_pairs",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.Case(
                        models.When(
                            language="da",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="danish", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="danish", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("danish"),
                            ),
                        ),
                        models.When(
                            language="de",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="german", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="german", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("german"),
                            ),
                        ),
                        models.When(
                            language="en",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="english", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="english", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("english"),
                            ),
                        ),
                        models.When(
                            language="es",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="spanish", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="spanish", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("spanish"),
                            ),
                        ),
                        models.When(
                            language="fr",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="french", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="french", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("french"),
                            ),
                        ),
                        models.When(
                            language="it",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="italian", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="italian", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("italian"),
                            ),
                        ),
                        models.When(
                            language="nl",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="dutch", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="dutch", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("dutch"),
                            ),
                        ),
                        models.When(
                            language="pt",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="portuguese", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="portuguese", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("portuguese"),
                            ),
                        ),
                        models.When(
                            language="sv",
                            then=django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.SearchVector(
                                    "title", config="swedish", weight="A"
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "text", config="swedish", weight="B"
                                ),
                                django.contrib.postgres.search.SearchConfig("swedish"),
                            ),
                        ),
                        default=django.contrib.postgres.search.CombinedSearchVector(
                            django.contrib.postgres.search.SearchVector(
                                "title", config="simple", weight="A"
                            ),
                            "||",
                            django.contrib.postgres.search.SearchVector(
                                "text", config="simple", weight="B"
                            ),
                            django.contrib.postgres.search.SearchConfig("simple"),
                        ),
                    ),
                    function="tsvector_pair_keys",
                    output_field=django.contrib.postgres.fields.ArrayField(
                        base_field=models.IntegerField(), size=None
                    ),
                ),
                output_field=django.contrib.postgres.fields.ArrayField(
                    base_field=models.IntegerField(), size=None
                ),
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_pairs"], name="article_phrase_idx"
            ),
        ),
    ]
