from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"
    verbose_name = "Lead pipeline"

    def ready(self) -> None:
        from booking.external import record_external_meeting
        from integrations import meetings
        from leadops import events
        from pipeline.flow import FLOW

        events.install(FLOW)
        # Meetings booked in Calendly or Cal.com: integrations verifies and finds the lead,
        # booking records the meeting (siblings that may not import each other).
        meetings.install_recorder(record_external_meeting)
