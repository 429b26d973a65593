from django.apps import AppConfig


class WebpushConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webpush"
    verbose_name = "Web push"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_delete, post_save

        from routing.config import forget_on_change
        from webpush import checks  # noqa: F401  (registers the VAPID key check)
        from webpush.models import PushSubscription
        from webpush.signout import forget_this_browser

        user_logged_out.connect(forget_this_browser, dispatch_uid="webpush-forget-this-browser")
        # the devices alerts go to are cached with the routing configuration (webpush/alerts.py)
        post_save.connect(forget_on_change, sender=PushSubscription, dispatch_uid="forget-config-push")
        post_delete.connect(forget_on_change, sender=PushSubscription, dispatch_uid="forget-config-del-push")
