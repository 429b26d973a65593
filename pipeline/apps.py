from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"
    verbose_name = "Lead pipeline"

    def ready(self) -> None:
        from leadops import events
        from pipeline.flow import FLOW

        events.install(FLOW)
