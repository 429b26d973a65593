from django.urls import path

from board import views

urlpatterns = [
    path("board/", views.home, name="board-home"),
    path("board/<int:team_id>/", views.team, name="board-team"),
    path("board/<int:team_id>/leads/<int:lead_id>/reassign/", views.reassign, name="board-reassign"),
]
