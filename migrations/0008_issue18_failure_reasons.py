from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('competition', '0007_issue15_live_runs'),
    ]

    operations = [
        migrations.AlterField(
            model_name='submission',
            name='failure_reason',
            field=models.CharField(blank=True, choices=[('invalid_request', 'Invalid request'), ('image_not_found', 'Image not found'), ('image_unauthorized', 'Image access denied'), ('image_too_large', 'Image too large'), ('image_not_allowed', 'Image not allowed'), ('image_platform_missing', 'Image platform missing'), ('image_unsupported', 'Image format unsupported'), ('image_pull_timeout', 'Image pull timed out'), ('image_registry_unreachable', 'Registry unreachable'), ('data_error', 'Data error'), ('time_limit', 'Time limit exceeded'), ('out_of_memory', 'Out of memory'), ('non_zero_exit', 'Non-zero exit'), ('output_too_large', 'Output too large'), ('bad_output', 'Bad output'), ('container_vanished', 'Container vanished'), ('scoring_error', 'Scoring error'), ('gpu_unavailable', 'GPU unavailable'), ('runtime_error', 'Container runtime error'), ('worker_lost', 'Worker lost'), ('worker_error', 'Worker error')], max_length=32),
        ),
    ]
