"""Resident pages (report, track, me too, rate, my cases): being built."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
