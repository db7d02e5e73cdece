"""A reader's profile: interests, preferences, scoring budget."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):


    dependencies = [
        ('accounts', '0001_hash_api_tokens'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='Profile',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='profile', serialize=False, to="auth.user")),
                ('interests', models.TextField(blank=True, default='')),
                ('anti_interests', models.TextField(blank=True, default='')),
                ('mark_read_on_open', models.BooleanField(default=True)),
                ('daily_scoring_budget', models.PositiveIntegerField(blank=True, null=True)),
                ('served_at', models.DateTimeField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
        ),
    ]
