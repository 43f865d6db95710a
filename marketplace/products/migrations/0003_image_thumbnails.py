"""Thumbnails of product pictures: their names, empty for pictures stored before them
(``manage.py make_thumbnails`` makes those)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0002_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="productimage",
            name="thumbnail_240",
            field=models.CharField(blank=True, max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="productimage",
            name="thumbnail_480",
            field=models.CharField(blank=True, max_length=200, null=True),
        ),
    ]
