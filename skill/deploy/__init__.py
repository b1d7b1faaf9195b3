"""Deployment helpers: the ASK skill package (``workout-planner package``).

The Lambda itself is packaged by the Serverless Framework from ``serverless.yml``.
"""
