"""Several readers, step 1 of 3: the per-reader tables beside the old columns."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0016_search'),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name='Reading',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_copy', models.BooleanField(default=False)),
                ('is_read', models.BooleanField(default=False)),
                ('is_starred', models.BooleanField(default=False)),
                ('starred_at', models.DateTimeField(blank=True, null=True)),
                ('feedback', models.CharField(blank=True, choices=[('up', '👍 More like this'), ('down', '👎 Less like this')], max_length=4, null=True)),
                ('feedback_at', models.DateTimeField(blank=True, null=True)),
                ('interest_score', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('quality_score', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('score_reasoning', models.TextField(blank=True, default='')),
                ('matched_interests', models.JSONField(blank=True, default=list)),
                ('matched_anti_interests', models.JSONField(blank=True, default=list)),
                ('scored_at', models.DateTimeField(blank=True, null=True)),
                ('scoring_model', models.CharField(blank=True, default='', max_length=200)),
                ('scoring_prompt_version', models.PositiveIntegerField(blank=True, null=True)),
                ('scoring_state', models.CharField(choices=[('unscored', 'Unscored'), ('queued', 'Queued'), ('scoring', 'Scoring'), ('scored', 'Scored'), ('failed', 'Failed'), ('skipped', 'Skipped (backfill)')], default='unscored', max_length=10)),
                ('scoring_priority', models.SmallIntegerField(default=0)),
                ('rescore_mode', models.CharField(blank=True, choices=[('full', 'Categorize and score'), ('score_only', 'Score only')], max_length=10, null=True)),
                ('queued_at', models.DateTimeField(blank=True, null=True)),
                ('claimed_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                ('claimed_by', models.CharField(blank=True, default='', max_length=200)),
                ('claim_token', models.CharField(blank=True, default='', max_length=32)),
                ('scoring_attempts', models.PositiveSmallIntegerField(default=0)),
                ('batch_missed', models.BooleanField(default=False)),
                ('scoring_error', models.TextField(blank=True, default='')),
                ('scoring_raw_output', models.TextField(blank=True, default='')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='Subscription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(blank=True, default='', max_length=500)),
                ('display_order', models.IntegerField(default=0)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['display_order', 'id'],
            },
        ),
        migrations.CreateModel(
            name='TopicWeight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('weight', models.CharField(choices=[('blocked', 'Blocked'), ('low', 'Low'), ('neutral', 'Neutral'), ('medium', 'Medium'), ('high', 'High')], default='neutral', max_length=10)),
            ],
        ),
        migrations.AddField(
            model_name='article',
            name='categorized_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='folder',
            name='reader',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='folders', to="auth.user"),
        ),
        migrations.AlterField(
            model_name='folder',
            name='name',
            field=models.CharField(max_length=200),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['feed', 'published_at'], name='article_feed_published'),
        ),
        migrations.CreateModel(
            name='ReadingRank',
            fields=[
                ('reading', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='rank', serialize=False, to='articles.reading')),
                ('interest', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('quality', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('score', models.FloatField()),
                ('rank_date', models.DateTimeField()),
                ('disliked', models.BooleanField(default=False)),
                ('reader', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to="auth.user")),
                ('topic_set', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ranks', to='articles.topicset')),
            ],
        ),
        migrations.AddField(
            model_name='reading',
            name='article',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='readings', to='articles.article'),
        ),
        migrations.AddField(
            model_name='reading',
            name='feed',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='articles.feed'),
        ),
        migrations.AddField(
            model_name='reading',
            name='reader',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='readings', to="auth.user"),
        ),
        migrations.AddField(
            model_name='subscription',
            name='feed',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='subscriptions', to='articles.feed'),
        ),
        migrations.AddField(
            model_name='subscription',
            name='folder',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='subscriptions', to='articles.folder'),
        ),
        migrations.AddField(
            model_name='subscription',
            name='reader',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='subscriptions', to="auth.user"),
        ),
        migrations.AddField(
            model_name='topicweight',
            name='category',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reader_weights', to='articles.category'),
        ),
        migrations.AddField(
            model_name='topicweight',
            name='reader',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='topic_weights', to="auth.user"),
        ),
        migrations.AddIndex(
            model_name='reading',
            index=models.Index(models.F('reader'), models.F('scoring_state'), models.OrderBy(models.F('scoring_priority'), descending=True), models.F('queued_at'), models.F('id'), name='reading_claim_order'),
        ),
        migrations.AddIndex(
            model_name='reading',
            index=models.Index(fields=['scoring_state', 'claimed_at'], name='reading_state'),
        ),
        migrations.AddIndex(
            model_name='reading',
            index=models.Index(fields=['reader', 'feed', 'is_read'], name='reading_feed_unread'),
        ),
        migrations.AddIndex(
            model_name='reading',
            index=models.Index(models.F('reader'), models.OrderBy(models.F('feedback_at'), descending=True), condition=models.Q(('feedback__isnull', False)), name='reading_feedback_recent'),
        ),
        migrations.AddIndex(
            model_name='reading',
            index=models.Index(models.F('reader'), models.OrderBy(models.F('starred_at'), descending=True), condition=models.Q(('is_starred', True)), name='reading_starred'),
        ),
        migrations.AddConstraint(
            model_name='reading',
            constraint=models.UniqueConstraint(fields=('reader', 'article'), name='reading_unique'),
        ),
        migrations.AddConstraint(
            model_name='subscription',
            constraint=models.UniqueConstraint(fields=('reader', 'feed'), name='subscription_unique'),
        ),
        migrations.AddConstraint(
            model_name='topicweight',
            constraint=models.UniqueConstraint(fields=('reader', 'category'), name='topic_weight_unique'),
        ),
        migrations.AddIndex(
            model_name='readingrank',
            index=models.Index(models.F('reader'), models.OrderBy(django.db.models.functions.comparison.Coalesce(models.F('score'), models.Value(-1.0)), descending=True), models.OrderBy(models.F('rank_date'), descending=True), models.OrderBy(models.F('reading'), descending=True), name='reading_rank_order'),
        ),
        migrations.AddIndex(
            model_name='readingrank',
            index=models.Index(fields=['reader', 'topic_set'], name='rank_reader_set'),
        ),
    ]
