"""gunicorn settings for a checkout: `gunicorn -c gunicorn.conf.py "portal:create_app()"`.
They live in the package (portal/gunicorn_conf.py) so an installed portal has them too."""

from portal.gunicorn_conf import *  # noqa: F403
