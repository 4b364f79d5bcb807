"""The two web apps: the menu (:3000) for customers and the driver portal (:3001).

Both are Starlette apps rendered with Jinja2 templates, with a little plain
JavaScript that polls their ``/api/...`` routes once a second; the routes use
``sdk``'s client to start, signal, query and list order workflows.
"""
