"""Fill the products' rating summaries (products migration 0004) from the reviews left before
they existed: from then on ReviewService keeps them in step, in each review's transaction."""

from django.db import migrations
from django.db.models import Count, Sum


def fill(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    Product = apps.get_model("products", "Product")
    # A review rates every product of its order; an order holds a product on one line only.
    totals = (
        OrderLine.objects.filter(order__review__isnull=False)
        .values("product_id")
        .annotate(total=Sum("order__review__rating"), count=Count("order__review"))
    )
    for row in totals.iterator():
        Product.objects.filter(pk=row["product_id"]).update(rating_sum=row["total"], rating_count=row["count"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("products", "0004_product_rating_summary"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
