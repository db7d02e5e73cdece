import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """Every rank row points at the set of its article's topics (one set per distinct
    combination), as `ArticleQuerySet.rank` does from now on."""
    TopicSet = apps.get_model("articles", "TopicSet")
    ArticleRank = apps.get_model("articles", "ArticleRank")
    Link = apps.get_model("articles", "Article").categories.through
    Member = TopicSet.categories.through
    topics = {article_id: [] for article_id in ArticleRank.objects.values_list("article_id", flat=True)}
    for article_id, category_id in Link.objects.filter(article_id__in=ArticleRank.objects.values("article_id")).values_list("article_id", "category_id"):
        topics[article_id].append(category_id)
    by_key = {}
    for article_id, ids in topics.items():
        by_key.setdefault(",".join(str(i) for i in sorted(set(ids))), []).append(article_id)
    for key, article_ids in by_key.items():
        topic_set = TopicSet.objects.create(key=key)
        Member.objects.bulk_create([Member(topicset_id=topic_set.id, category_id=int(c)) for c in key.split(",") if c])
        for start in range(0, len(article_ids), 500):
            ArticleRank.objects.filter(article_id__in=article_ids[start : start + 500]).update(topic_set=topic_set)


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0010_article_rank'),
    ]

    operations = [
        migrations.CreateModel(
            name='TopicSet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=2000, unique=True)),
                ('categories', models.ManyToManyField(blank=True, related_name='topic_sets', to='articles.category')),
            ],
        ),
        migrations.AddField(
            model_name='articlerank',
            name='topic_set',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ranks', to='articles.topicset'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
