"""The web pages, one module per domain they show; every form post carries the CSRF token
(app/web/security.py), and pages read and write through the domain services, as the API does.
"""

from fastapi import APIRouter

from app.web import auth, personas, practice, prep, review

router = APIRouter(include_in_schema=False)
for _module in (auth, practice, prep, review, personas):
    router.include_router(_module.router)
