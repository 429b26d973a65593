from django.apps import AppConfig


class WebpushConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webpush"
    verbose_name = "Web push"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from webpush import checks  # noqa: F401  (registers the VAPID key check)
        from webpush.signout import forget_this_browser

        user_logged_out.connect(forget_this_browser, dispatch_uid="webpush-forget-this-browser")
