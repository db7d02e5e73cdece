

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_app_passwords'),
    ]

    operations = [
        migrations.AddField(
            model_name='profile',
            name='taste',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
