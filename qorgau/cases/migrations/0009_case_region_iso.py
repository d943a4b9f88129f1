# Regions become ISO 3166-2 codes of any country (qorgau.cases.regions, docs/regions.md).
#
# No row is rewritten: a case's "kz-west" was digested into its ledger entry, and
# `qorgau verify` re-derives that digest from the row, so the stored code stays and
# qorgau.cases.regions reads it as an alias of its ISO code (kz-west = KZ-27). New cases
# store the ISO code. The field only loses its fixed choices; services validate.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_case_mode'),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='region',
            field=models.CharField(max_length=40, verbose_name='region'),
        ),
    ]
